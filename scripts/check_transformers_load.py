#!/usr/bin/env python3
"""Check that a model directory saved by aepo loads in Hugging Face transformers and computes the same logits.

Set-up (once; CPU wheels from PyPI):
    pip install torch transformers safetensors
Build the CLI:
    swift build -c release            # the binary is .build/release/aepo
Run:
    python3 scripts/check_transformers_load.py MODEL_DIR [--input-ids INPUT.json] [--aepo PATH]

MODEL_DIR is a directory written by aepo (config.json, generation_config.json, model.safetensors).
INPUT.json holds {"input_ids": [[...], ...]} (equal-length sequences); without it, two random sequences
of 16 tokens (seed 0) are used. The script
  1. loads MODEL_DIR with transformers.Qwen3ForCausalLM.from_pretrained and fails on any missing,
     unexpected or mismatched parameter, and checks every loaded tensor equals the file's bit for bit;
  2. computes logits and the mean next-token loss (labels = input_ids) with transformers;
  3. runs `aepo inspect logits --model MODEL_DIR --input INPUT.json` (or reads --expected FILE, a JSON
     object in the same format, instead) and compares: logits within --atol (1e-4), loss within
     --rtol (1e-5) relative.
It prints one JSON summary line and exits 0 when everything agrees, 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file
from transformers import Qwen3ForCausalLM


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

    # Every tensor in the file arrives unchanged in the model.
    state = model.state_dict()
    for name, tensor in load_file(os.path.join(args.model_dir, "model.safetensors")).items():
        if name not in state:
            failures.append(f"tensor {name} is not a model parameter")
        elif not torch.equal(state[name], tensor.to(torch.float32)):
            failures.append(f"tensor {name} differs after loading")

    if args.input_ids:
        with open(args.input_ids) as f:
            input_ids = json.load(f)["input_ids"]
        input_path = args.input_ids
    else:
        generator = torch.Generator().manual_seed(0)
        input_ids = torch.randint(0, model.config.vocab_size, (2, 16), generator=generator).tolist()
        handle, input_path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(handle, "w") as f:
            json.dump({"input_ids": input_ids}, f)

    ids = torch.tensor(input_ids, dtype=torch.long)
    with torch.no_grad():
        out = model(input_ids=ids, labels=ids)
    logits = out.logits
    loss = out.loss.item()

    if args.expected:
        with open(args.expected) as f:
            theirs = json.load(f)
        source = args.expected
    else:
        command = [args.aepo, "inspect", "logits", "--model", args.model_dir, "--input", input_path]
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"{' '.join(command)} failed ({run.returncode}):\n{run.stderr}", file=sys.stderr)
            return 1
        theirs = json.loads(run.stdout)
        source = "aepo"

    other = torch.tensor(theirs["logits"], dtype=torch.float32)
    if other.shape != logits.shape:
        failures.append(f"logits shape {list(other.shape)} from {source}, transformers gives {list(logits.shape)}")
        max_abs = float("inf")
    else:
        max_abs = (other - logits).abs().max().item()
        if max_abs > args.atol:
            failures.append(f"logits differ by up to {max_abs:.3g} (> {args.atol})")
    loss_rel = abs(theirs["loss"] - loss) / max(abs(loss), 1e-30)
    if loss_rel > args.rtol:
        failures.append(f"loss {theirs['loss']} from {source} vs {loss} from transformers (relative {loss_rel:.3g} > {args.rtol})")

    print(json.dumps({
        "model_dir": args.model_dir, "compared_with": source, "shape": list(logits.shape),
        "max_abs_logit_diff": max_abs, "loss_transformers": loss, "loss_other": theirs["loss"],
        "loss_rel_diff": loss_rel, "ok": not failures,
    }))
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
