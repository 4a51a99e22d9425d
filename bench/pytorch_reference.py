#!/usr/bin/env python3
"""PyTorch + transformers reference figures for the same workloads as `aepo bench`.

Set-up (once; CPU wheels from PyPI):
    pip install torch transformers safetensors
Run (next to `swift run -c release aepo bench`, with the same thread count):
    python3 bench/pytorch_reference.py [--threads 2] [--config bench/reference-config.json]

Prints one JSON object with the keys of `aepo bench`:
  train_tokens_per_s   forward + backward + AdamW step of Qwen3ForCausalLM on a random batch of
                       16 × 256 tokens, every position trained (labels = input_ids); tokens = 16 · 256
                       per step; median over --repeat steps after --warmup steps.
  decode_tokens_per_s  Qwen3ForCausalLM.generate with sampling at temperature 1 (no top-k/top-p), KV cache
                       on, 16 sequences with random 32-token prompts, min_new_tokens = max_new_tokens = 224
                       so every sequence generates 224 tokens; tokens = 16 · 224 per call (the prefill is
                       included in the time); median over --decode-repeat calls after one warm-up call.
  gemm_gflops          1024 × 1024 × 1024 float32 torch.matmul, 2·n³ / median time.
  threads, peak_rss_mb torch.get_num_threads() and the process's peak resident set size.
  *_1thread_cputime    with --threads 1 only: the training and decoding figures per second of the
                       process's CPU time (what `aepo bench` reports under the same keys; meaningful
                       when other processes share the cores).

Measure on a quiet machine: PyTorch's OpenMP threads spin while waiting, so when other processes
compete for the cores its 2-thread figures collapse (decoding by 10x here); OMP_WAIT_POLICY=PASSIVE
softens that but is not PyTorch's default.
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import transformers
from transformers import Qwen3Config, Qwen3ForCausalLM


def median_seconds(run, repetitions, warmup):
    """Median wall time and median process CPU time (all threads) of one call, in seconds."""
    for _ in range(warmup):
        run()
    times, cpu_times = [], []
    for _ in range(repetitions):
        start, cpu_start = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    return statistics.median(times), statistics.median(cpu_times)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="PyTorch reference figures for aepo bench.")
    parser.add_argument("--config", default=os.path.join(here, "reference-config.json"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="timed training steps and GEMMs (median reported)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--decode-repeat", type=int, default=3, help="timed generate calls (median reported)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = Qwen3Config.from_json_file(args.config)
    model = Qwen3ForCausalLM(config).float()
    vocab = config.vocab_size

    # Training: forward + backward + AdamW on 16 × 256 random tokens.
    batch, length = 16, 256
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    ids = torch.randint(0, vocab, (batch, length))

    def train_step():
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    train_seconds, train_cpu_seconds = median_seconds(train_step, args.repeat, args.warmup)

    # Decoding: sampled generation with the KV cache.
    sequences, prompt_length, new_tokens = 16, 32, 224
    model.eval()
    prompts = torch.randint(0, vocab, (sequences, prompt_length))
    mask = torch.ones_like(prompts)

    def generate():
        with torch.no_grad():
            out = model.generate(
                input_ids=prompts, attention_mask=mask, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                max_new_tokens=new_tokens, min_new_tokens=new_tokens, use_cache=True, pad_token_id=0)
        assert out.shape == (sequences, prompt_length + new_tokens), out.shape

    decode_seconds, decode_cpu_seconds = median_seconds(generate, args.decode_repeat, 1)

    # GEMM: 1024³ float32.
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    gemm_seconds, _ = median_seconds(lambda: torch.matmul(a, b), max(args.repeat, 10), 3)

    figures = {
        "train_tokens_per_s": batch * length / train_seconds,
        "decode_tokens_per_s": sequences * new_tokens / decode_seconds,
        "gemm_gflops": 2 * n ** 3 / gemm_seconds / 1e9,
        "threads": torch.get_num_threads(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    }
    if args.threads == 1:
        # Per second of CPU time received, as `aepo bench` reports it: comparable on a shared machine.
        figures["train_tokens_per_s_1thread_cputime"] = batch * length / train_cpu_seconds
        figures["decode_tokens_per_s_1thread_cputime"] = sequences * new_tokens / decode_cpu_seconds
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
