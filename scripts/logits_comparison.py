"""What scripts/check_transformers_load.py and scripts/check_peft_load.py share: the input ids, running
`aepo inspect logits`, and comparing its logits and loss with PyTorch's."""
import json
import os
import subprocess
import sys
import tempfile

import torch


def input_ids(path, vocab_size):
    """The ids of PATH ({"input_ids": [[...]]}), else two random sequences of 16 tokens (seed 0) written to a
    temporary file; returns (ids, path of the file)."""
    if path:
        with open(path) as f:
            return json.load(f)["input_ids"], path
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab_size, (2, 16), generator=generator).tolist()
    handle, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(handle, "w") as f:
        json.dump({"input_ids": ids}, f)
    return ids, path


def aepo_logits(command):
    """The JSON `aepo inspect logits` prints for COMMAND; None (after printing why) when it fails."""
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"{' '.join(command)} failed ({run.returncode}):\n{run.stderr}", file=sys.stderr)
        return None
    return json.loads(run.stdout)


def report(logits, loss, theirs, source, reference, atol, rtol, failures, summary):
    """Compares THEIRS ({logits, loss} from SOURCE) with LOGITS and LOSS from REFERENCE, prints one JSON line (SUMMARY
    and the figures) and every failure; returns the exit code."""
    other = torch.tensor(theirs["logits"], dtype=torch.float32)
    if other.shape != logits.shape:
        failures.append(f"logits shape {list(other.shape)} from {source}, {reference} gives {list(logits.shape)}")
        max_abs = float("inf")
    else:
        max_abs = (other - logits).abs().max().item()
        if max_abs > atol:
            failures.append(f"logits differ by up to {max_abs:.3g} (> {atol})")
    loss_rel = abs(theirs["loss"] - loss) / max(abs(loss), 1e-30)
    if loss_rel > rtol:
        failures.append(f"loss {theirs['loss']} from {source} vs {loss} from {reference} (relative {loss_rel:.3g} > {rtol})")
    print(json.dumps(dict(summary, compared_with=source, shape=list(logits.shape), max_abs_logit_diff=max_abs,
                          loss_reference=loss, loss_other=theirs["loss"], loss_rel_diff=loss_rel, ok=not failures)))
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 0 if not failures else 1
