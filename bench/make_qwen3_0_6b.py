#!/usr/bin/env python3
"""Writes a randomly initialised model with Qwen3-0.6B's exact shape, as transformers saves one: `config.json`,
three BF16 safetensors shards and `model.safetensors.index.json`. It is what `aepo bench --model DIR` and
`bench/pytorch_reference.py --model DIR` measure when no pretrained checkpoint is at hand (the weights are random,
the speed and memory are those of the real model). About 1.2 GB; keep it outside the repository.

    python3 bench/make_qwen3_0_6b.py [--out /work/models/qwen3-0.6b-random] [--seed 0]
"""
import argparse
import os

import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

# Qwen3-0.6B's config.json (Qwen/Qwen3-0.6B), less its token ids and dtype.
SHAPE = dict(
    vocab_size=151936,
    hidden_size=1024,
    intermediate_size=3072,
    num_hidden_layers=28,
    num_attention_heads=16,
    num_key_value_heads=8,
    head_dim=128,
    tie_word_embeddings=True,
    rope_theta=1000000.0,
    rms_norm_eps=1e-06,
    max_position_embeddings=40960,
    hidden_act="silu",
    attention_bias=False,
    use_sliding_window=False,
    initializer_range=0.02,
)


def main():
    parser = argparse.ArgumentParser(description="Make a random model of Qwen3-0.6B's shape (BF16, 3 shards).")
    parser.add_argument("--out", default="/work/models/qwen3-0.6b-random")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    model = Qwen3ForCausalLM(Qwen3Config(**SHAPE)).to(torch.bfloat16)
    parameters = sum(p.numel() for p in model.parameters())
    os.makedirs(args.out, exist_ok=True)
    # 1.19 GB of BF16 weights in shards of at most 500 MB: three files.
    model.save_pretrained(args.out, max_shard_size="500MB", safe_serialization=True)
    shards = sorted(name for name in os.listdir(args.out) if name.endswith(".safetensors"))
    print(f"{args.out}: {parameters:,} parameters in {len(shards)} shards: {', '.join(shards)}")


if __name__ == "__main__":
    main()
