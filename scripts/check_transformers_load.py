#!/usr/bin/env python3
"""Check that a model directory saved by aepo loads in Hugging Face transformers and computes the same logits.

Set-up (once; CPU wheels from PyPI):
    pip install torch transformers safetensors
Build the CLI:
    swift build -c release            # the binary is .build/release/aepo
Run:
    python3 scripts/check_transformers_load.py MODEL_DIR [--input-ids INPUT.json] [--aepo PATH]

MODEL_DIR is a directory written by aepo (config.json, generation_config.json, model.safetensors, or shards
model-0000i-of-0000n.safetensors listed in model.safetensors.index.json).
INPUT.json holds {"input_ids": [[...], ...]} (equal-length sequences); without it, two random sequences
of 16 tokens (seed 0) are used. The script
  1. loads MODEL_DIR with transformers.Qwen3ForCausalLM.from_pretrained and fails on any missing,
     unexpected or mismatched parameter, and checks every loaded tensor equals the file's bit for bit
     (and, for shards, that the index lists every tensor in the shard that holds it);
  2. computes logits and the mean next-token loss (labels = input_ids) with transformers;
  3. runs `aepo inspect logits --model MODEL_DIR --input INPUT.json` (or reads --expected FILE, a JSON
     object in the same format, instead) and compares: logits within --atol (1e-4), loss within
     --rtol (1e-5) relative.
It prints one JSON summary line and exits 0 when everything agrees, 1 otherwise.
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import Qwen3ForCausalLM

from logits_comparison import aepo_logits, input_ids, report


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model_dir")
    parser.add_argument("--input-ids", help='JSON file with {"input_ids": [[...]]}')
    parser.add_argument("--aepo", default=os.environ.get("AEPO_BIN", os.path.join(here, "..", ".build", "release", "aepo")),
                        help="path to the aepo binary (default: $AEPO_BIN or .build/release/aepo)")
    parser.add_argument("--expected", help="compare with this JSON {logits, loss} instead of running aepo")
    parser.add_argument("--atol", type=float, default=1e-4)
    parser.add_argument("--rtol", type=float, default=1e-5)
    args = parser.parse_args()

    # No dtype argument: its name changed between transformers 4 and 5; the saved config says float32.
    model, info = Qwen3ForCausalLM.from_pretrained(args.model_dir, output_loading_info=True)
    model = model.float().eval()
    problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs")}
    failures = [f"transformers loading: {k} = {sorted(map(str, v))}" for k, v in problems.items()]

    # Every tensor in the file (or the shards) arrives unchanged in the model.
    state = model.state_dict()
    index_path = os.path.join(args.model_dir, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        tensors = {}
        for shard in sorted(set(weight_map.values())):
            for name, tensor in load_file(os.path.join(args.model_dir, shard)).items():
                if weight_map.get(name) != shard:
                    failures.append(f"tensor {name} is in {shard}, but the index says {weight_map.get(name)}")
                tensors[name] = tensor
    else:
        tensors = load_file(os.path.join(args.model_dir, "model.safetensors"))
    for name, tensor in tensors.items():
        if name not in state:
            failures.append(f"tensor {name} is not a model parameter")
        elif not torch.equal(state[name], tensor.to(torch.float32)):
            failures.append(f"tensor {name} differs after loading")

    ids_list, input_path = input_ids(args.input_ids, model.config.vocab_size)
    ids = torch.tensor(ids_list, dtype=torch.long)
    with torch.no_grad():
        out = model(input_ids=ids, labels=ids)

    if args.expected:
        with open(args.expected) as f:
            theirs = json.load(f)
        source = args.expected
    else:
        theirs = aepo_logits([args.aepo, "inspect", "logits", "--model", args.model_dir, "--input", input_path])
        if theirs is None:
            return 1
        source = "aepo"
    return report(out.logits, out.loss.item(), theirs, source, "transformers", args.atol, args.rtol, failures,
                  {"model_dir": args.model_dir})

if __name__ == "__main__":
    sys.exit(main())
