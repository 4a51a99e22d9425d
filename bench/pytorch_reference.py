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

With --model DIR (a Hugging Face Qwen3 directory, loaded in float32), the workloads of
`aepo bench --model DIR` with the same options and keys, each in a fresh child process whose peak resident
memory is lowered once the model is loaded (/proc/self/clear_refs), as aepo does:
  prefill_tokens_per_s             model(input_ids, use_cache=True, logits_to_keep=1) on --batch × --length
                                   random tokens, under inference_mode.
  decode_tokens_per_s_batchN       generate() as above on N prompts of --prompt-length tokens, --new-tokens
                                   tokens each (N from --decode-batch, default 1, 8 and 32).
  train_tokens_per_s               one RL update of --batch × --length tokens: old log-probs (no grad), the
  train_lora_tokens_per_s          forward pass, PPO's clipped loss (token mean, eps 0.2, dual clip 3) on a
                                   random advantage per sequence, backward, AdamW (lr 1e-5, weight decay 0.01);
                                   full fine-tuning, and with --lora RANK a peft LoRA adapter (alpha
                                   --lora-alpha, default 2 x rank; --lora-targets, default all seven modules).
                                   The LM head and log-softmax run in chunks of max(2^24, 1024 x vocab) / vocab
                                   rows, each chunk recomputed in backward (torch.utils.checkpoint), as aepo keeps
                                   one chunk of logits (--keep-logits: every chunk's graph kept instead, autograd's
                                   default); --activation-checkpointing turns on transformers' gradient
                                   checkpointing (per layer, use_reentrant=False).
  train_on_policy_tokens_per_s     the same update timed without its old log-probs' pass, as an on-policy step
  train_lora_on_policy_tokens_per_s  runs it (TRL's num_iterations == 1: the old log-probs are the update's own).
  *_peak_rss_mb, load_peak_rss_mb  as in aepo bench --help.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
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

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def resident_mb(key="VmHWM"):
    """The process's peak (or, with key="VmRSS", current) resident memory in MB, from /proc/self/status."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def workloads(args):
    """The workload names of aepo bench --model, in its order, filtered by --only."""
    names = ["prefill"] + [f"decode-{n}" for n in (args.decode_batch or [1, 8, 32])] + ["train"]
    names += ["train-lora"] if args.lora else []
    return [n for n in names if not args.only or (n.split("-")[0] if n.startswith("decode") else n) in args.only]


def model_main(args):
    """The parent: runs each workload in a child process and prints the merged JSON object."""
    if not os.path.exists(os.path.join(args.model, "config.json")):
        sys.exit(f"{args.model}: no config.json: expected a Hugging Face Qwen3 directory")
    if args.workload:
        return print(json.dumps(measure(args)))
    report, load_peak, warnings = {}, 0.0, set()
    for name in workloads(args):
        command = [sys.executable, os.path.abspath(__file__)] + sys.argv[1:] + ["--workload", name]
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.exit(f"the {name} workload failed with exit code {result.returncode}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        load_peak = max(load_peak, figures.pop("load_peak_rss_mb"))
        warnings.update(figures.pop("warnings"))
        report.update(figures)
    report["load_peak_rss_mb"] = load_peak
    report["peak_rss_mb"] = max([load_peak] + [v for k, v in report.items() if k.endswith("peak_rss_mb")])
    report["warnings"] = sorted(warnings)
    print(json.dumps(report, sort_keys=True))


def token_log_probs(causal_lm, ids, chunk_rows, grad, keep_logits=False):
    """log p(ids[:, t+1] | ids[:, :t+1]) for every t, [batch, length - 1]: the decoder once, then the LM head and the
    log-softmax chunk by chunk (each chunk recomputed in backward, so one chunk of logits is alive at a time; with
    keep_logits every chunk's graph is kept instead, as autograd does by default)."""
    hidden = causal_lm.model(input_ids=ids).last_hidden_state[:, :-1]
    rows, targets = hidden.reshape(-1, hidden.shape[-1]), ids[:, 1:].reshape(-1)

    def chunk(h, t):
        return torch.log_softmax(causal_lm.lm_head(h), dim=-1).gather(-1, t[:, None]).squeeze(-1)

    parts = []
    for start in range(0, rows.shape[0], chunk_rows):
        h, t = rows[start:start + chunk_rows], targets[start:start + chunk_rows]
        recompute = grad and not keep_logits
        parts.append(torch.utils.checkpoint.checkpoint(chunk, h, t, use_reentrant=False) if recompute else chunk(h, t))
    return torch.cat(parts).view(ids.shape[0], ids.shape[1] - 1)


def measure(args):
    """The child: loads the model in float32, lowers the peak, runs one workload and returns its figures."""
    name = args.workload
    model = Qwen3ForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    load_peak = resident_mb()
    parameters = sum(p.numel() for p in model.parameters())
    warnings = []
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        warnings.append("the peak resident memory could not be reset: every *_peak_rss_mb includes loading")
    generator = torch.Generator().manual_seed(args.seed)
    vocab = model.config.vocab_size
    ids = torch.randint(0, vocab, (args.batch, args.length), generator=generator)
    tokens = args.batch * args.length
    figures = {}
    if name == "prefill":
        model.eval()

        def prefill():
            with torch.inference_mode():
                model(input_ids=ids, use_cache=True, logits_to_keep=1)

        seconds, _ = median_seconds(prefill, args.repeat, args.warmup)
        figures["prefill_tokens_per_s"] = tokens / seconds
        figures["prefill_peak_rss_mb"] = resident_mb()
    elif name.startswith("decode-"):
        batch = int(name.split("-")[1])
        model.eval()
        prompts = torch.randint(0, vocab, (batch, args.prompt_length), generator=generator)

        def generate():
            with torch.inference_mode():
                out = model.generate(
                    input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=True, temperature=1.0, top_k=0,
                    top_p=1.0, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, use_cache=True, pad_token_id=0)
            assert out.shape == (batch, args.prompt_length + args.new_tokens), out.shape

        seconds, _ = median_seconds(generate, args.repeat, args.warmup)
        figures[f"decode_tokens_per_s_batch{batch}"] = batch * args.new_tokens / seconds
        figures[f"decode_peak_rss_mb_batch{batch}"] = resident_mb()
    else:
        lora = name == "train-lora"
        if lora:
            import peft
            config = peft.LoraConfig(r=args.lora, lora_alpha=args.lora_alpha or 2 * args.lora, lora_dropout=0.0, bias="none",
                                     target_modules=args.lora_targets.split(","))
            model = peft.get_peft_model(model, config)
            figures["peft_version"] = peft.__version__
        causal_lm = model.get_base_model() if lora else model
        if args.activation_checkpointing:
            causal_lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.train()
        trained = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trained, lr=1e-5, weight_decay=0.01)
        advantages = torch.randn(args.batch, 1, generator=generator)
        chunk_rows = max(1 << 24, 1024 * vocab) // vocab
        phases = []

        def update():
            start = time.perf_counter()
            with torch.no_grad():
                old = token_log_probs(causal_lm, ids, chunk_rows, grad=False)
            middle = time.perf_counter()
            new = token_log_probs(causal_lm, ids, chunk_rows, grad=True, keep_logits=args.keep_logits)
            ratio = torch.exp(new - old)
            clipped = torch.maximum(-advantages * ratio, -advantages * ratio.clamp(0.8, 1.2))
            loss = torch.where(advantages < 0, torch.minimum(-advantages * 3.0, clipped), clipped).mean()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            phases.append(time.perf_counter() - middle)

        seconds, _ = median_seconds(update, args.repeat, args.warmup)
        key = "train_lora" if lora else "train"
        figures[f"{key}_tokens_per_s"] = tokens / seconds
        figures[f"{key}_on_policy_tokens_per_s"] = tokens / statistics.median(phases[args.warmup:])
        figures[f"{key}_peak_rss_mb"] = resident_mb()
    figures.update({
        "load_peak_rss_mb": load_peak,
        "warnings": warnings,
        "parameters": parameters,
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    })
    return figures


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="PyTorch reference figures for aepo bench.")
    parser.add_argument("--config", default=os.path.join(here, "reference-config.json"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed training steps and GEMMs (median reported; default 5, with --model 3)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed calls first (default 2, with --model 1)")
    parser.add_argument("--decode-repeat", type=int, default=3, help="timed generate calls (median reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", help="a Hugging Face Qwen3 directory: measure aepo bench --model's workloads on it")
    parser.add_argument("--lora", type=int, help="with --model: also a LoRA update of this rank")
    parser.add_argument("--lora-alpha", type=float, help="with --lora: alpha (default 2 x rank)")
    parser.add_argument("--lora-targets", default=",".join(LORA_TARGETS), help="with --lora: adapted modules")
    parser.add_argument("--batch", type=int, default=8, help="with --model: sequences of the training and prefill batch")
    parser.add_argument("--length", type=int, default=512, help="with --model: tokens per sequence of that batch")
    parser.add_argument("--decode-batch", type=int, action="append", help="with --model: decoding batch (repeatable)")
    parser.add_argument("--prompt-length", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--activation-checkpointing", action="store_true")
    parser.add_argument("--keep-logits", action="store_true",
                        help="with --model: keep every LM-head chunk's logits for backward instead of recomputing them")
    parser.add_argument("--only", action="append", choices=["prefill", "decode", "train", "train-lora"])
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.model:
        args.repeat = 3 if args.repeat is None else args.repeat
        args.warmup = 1 if args.warmup is None else args.warmup
        return model_main(args)
    args.repeat = 5 if args.repeat is None else args.repeat
    args.warmup = 2 if args.warmup is None else args.warmup
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
