#!/usr/bin/env python3
"""Back-to-back rounds of `aepo bench` and `bench/pytorch_reference.py`, with the ratios per round.

Run from the repository root after `swift build -c release` (and `pip install torch transformers
safetensors`):
    python3 bench/compare_with_pytorch.py [--rounds 5] [--threads 2]

Each round runs `.build/release/aepo bench --only gemm --only train --only decode` and then
`pytorch_reference.py` with the same thread count, so both see the same machine state; on a shared
machine the rounds differ, which is why several are run. Prints one line per round and the medians
of the figures and of the per-round ratios (training tokens/s, decoding tokens/s, 1024³ SGEMM).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

KEYS = [("train_tokens_per_s", "train"), ("decode_tokens_per_s", "decode"), ("gemm_gflops", "gemm")]


def run_json(command, env):
    """Runs `command` and returns the JSON object on its last line of output."""
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed with exit code {result.returncode}:\n{result.stderr[-2000:]}")
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"{' '.join(command)} printed no JSON object:\n{result.stdout[-2000:]}")
    return json.loads(lines[-1])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    parser = argparse.ArgumentParser(description="aepo bench against PyTorch, round by round.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--aepo", default=os.path.join(root, ".build", "release", "aepo"))
    args = parser.parse_args()
    if args.rounds < 1 or args.threads < 1:
        sys.exit("--rounds and --threads must be at least 1")
    if not os.access(args.aepo, os.X_OK):
        sys.exit(f"{args.aepo} is not an executable: build it first with `swift build -c release`")

    env = dict(os.environ, AEPO_THREADS=str(args.threads))
    aepo_command = [args.aepo, "bench", "--only", "gemm", "--only", "train", "--only", "decode"]
    torch_command = [sys.executable, os.path.join(here, "pytorch_reference.py"), "--threads", str(args.threads)]
    rows = []
    print("round  time      " + "  ".join(f"{name:>24}" for _, name in KEYS))
    for round_index in range(1, args.rounds + 1):
        stamp = time.strftime("%H:%M:%S", time.gmtime())
        ours, theirs = run_json(aepo_command, env), run_json(torch_command, env)
        row = {key: (ours[key], theirs[key]) for key, _ in KEYS}
        rows.append(row)
        cells = [f"{a:>8.0f} / {b:>6.0f} = {a / b:4.2f}x" for a, b in row.values()]
        print(f"{round_index:>5}  {stamp}  " + "  ".join(f"{cell:>24}" for cell in cells), flush=True)
    medians = []
    for key, _ in KEYS:
        ours = statistics.median(row[key][0] for row in rows)
        theirs = statistics.median(row[key][1] for row in rows)
        ratio = statistics.median(row[key][0] / row[key][1] for row in rows)
        medians.append(f"{ours:>8.0f} / {theirs:>6.0f}, {ratio:4.2f}x")
    print("median           " + "  ".join(f"{cell:>24}" for cell in medians))
    print(f"(aepo / PyTorch, {args.threads} threads; ratio median = median of the per-round ratios)")


if __name__ == "__main__":
    main()
