#!/usr/bin/env python3
"""Check that a LoRA adapter written by aepo loads in PEFT and gives the same logits as aepo.

Set-up (once; CPU wheels from PyPI):
    pip install torch transformers peft safetensors
Build the CLI:
    swift build -c release            # the binary is .build/release/aepo
Run:
    python3 scripts/check_peft_load.py ADAPTER_DIR [--base BASE_DIR] [--input-ids INPUT.json] [--aepo PATH]

ADAPTER_DIR is PEFT's directory (adapter_config.json, adapter_model.safetensors), e.g. a LoRA run's
final_adapter/ or checkpoints/step-NNNNNN/adapter/. BASE_DIR defaults to the adapter's
base_model_name_or_path. INPUT.json holds {"input_ids": [[...], ...]} (equal-length sequences); without it,
two random sequences of 16 tokens (seed 0) are used. The script
  1. loads the base with transformers.Qwen3ForCausalLM and the adapter with peft.PeftModel.from_pretrained,
     and checks that every tensor of adapter_model.safetensors arrives in the model unchanged and that every
     LoRA weight of the model comes from the file;
  2. computes logits and the mean next-token loss (labels = input_ids) with PEFT, in eval mode;
  3. runs `aepo inspect logits --model BASE_DIR --adapter ADAPTER_DIR --input INPUT.json` and compares: logits
     within --atol (1e-4), loss within --rtol (1e-5) relative.
It prints one JSON summary line and exits 0 when everything agrees, 1 otherwise.
"""
import argparse
import json
import os
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import Qwen3ForCausalLM

from logits_comparison import aepo_logits, input_ids, report


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("adapter_dir")
    parser.add_argument("--base", help="the base model directory (default: the adapter's base_model_name_or_path)")
    parser.add_argument("--input-ids", help='JSON file with {"input_ids": [[...]]}')
    parser.add_argument("--aepo", default=os.environ.get("AEPO_BIN", os.path.join(here, "..", ".build", "release", "aepo")),
                        help="path to the aepo binary (default: $AEPO_BIN or .build/release/aepo)")
    parser.add_argument("--atol", type=float, default=1e-4)
    parser.add_argument("--rtol", type=float, default=1e-5)
    args = parser.parse_args()

    with open(os.path.join(args.adapter_dir, "adapter_config.json")) as f:
        base_dir = args.base or json.load(f).get("base_model_name_or_path")
    if not base_dir:
        print("the adapter names no base model: pass --base BASE_DIR", file=sys.stderr)
        return 1
    # No dtype argument: its name changed between transformers 4 and 5; aepo's directories are float32.
    base = Qwen3ForCausalLM.from_pretrained(base_dir).float()
    model = PeftModel.from_pretrained(base, args.adapter_dir).float().eval()
    failures = []

    # Every tensor of the file arrives unchanged, and every LoRA weight of the model comes from the file.
    state = {name.replace(".default", ""): tensor for name, tensor in model.state_dict().items() if "lora_" in name}
    saved = load_file(os.path.join(args.adapter_dir, "adapter_model.safetensors"))
    for name, tensor in saved.items():
        if name not in state:
            failures.append(f"tensor {name} is not a LoRA weight of the PEFT model")
        elif not torch.equal(state[name], tensor.to(torch.float32)):
            failures.append(f"tensor {name} differs after loading")
    for name in sorted(set(state) - set(saved)):
        failures.append(f"the PEFT model's {name} is not in the file")

    ids_list, input_path = input_ids(args.input_ids, base.config.vocab_size)
    ids = torch.tensor(ids_list, dtype=torch.long)
    with torch.no_grad():
        out = model(input_ids=ids, labels=ids)
    theirs = aepo_logits([args.aepo, "inspect", "logits", "--model", base_dir, "--adapter", args.adapter_dir, "--input", input_path])
    if theirs is None:
        return 1
    return report(out.logits, out.loss.item(), theirs, "aepo", "PEFT", args.atol, args.rtol, failures,
                  {"adapter_dir": args.adapter_dir, "base": base_dir, "lora_tensors": len(saved)})

if __name__ == "__main__":
    sys.exit(main())
