#!/usr/bin/env python3
"""Reads the TensorBoard event files `aepo` writes with the `tensorboard` package and checks them
against each run's metrics.jsonl.

Usage: python3 scripts/check_tensorboard.py RUN_DIR...   (pip install tensorboard)

For every run directory: loads the event files with TensorBoard's own EventAccumulator (which
verifies the TFRecord checksums: a corrupt record stops the read, which shows up here as missing metrics), then compares every scalar with the `<phase>/<metric>` value of
the same step in metrics.jsonl (to float32 precision), and checks that no step shows twice (a resumed
run's session START purges the steps the killed session logged after its checkpoint). Exits non-zero
on any mismatch.
"""
import json
import math
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def check(run_dir):
    expected = {}
    with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                phase, step = record.pop("phase"), record.pop("step")
                for key, value in record.items():
                    expected[(f"{phase}/{key}", step)] = value
    accumulator = EventAccumulator(run_dir, size_guidance={"scalars": 0})
    accumulator.Reload()
    tags = accumulator.Tags()["scalars"]
    seen, problems, steps = 0, [], set()
    for tag in tags:
        for event in accumulator.Scalars(tag):
            want = expected.get((tag, event.step))
            seen += 1
            if (tag, event.step) in steps:
                problems.append(f"{tag} step {event.step}: more than once")
            steps.add((tag, event.step))
            if want is None:
                problems.append(f"{tag} step {event.step}: not in metrics.jsonl")
            elif not math.isclose(event.value, want, rel_tol=1e-6, abs_tol=1e-6):
                problems.append(f"{tag} step {event.step}: {event.value} != {want}")
    missing = len(expected) - seen
    print(f"{run_dir}: {len(tags)} tags, {seen} scalars read, {missing} metrics not in the event files, {len(problems)} mismatches")
    for problem in problems[:10]:
        print("  " + problem)
    return not problems and missing == 0 and seen > 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    ok = all([check(run) for run in sys.argv[1:]])
    sys.exit(0 if ok else 1)
