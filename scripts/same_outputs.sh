#!/usr/bin/env bash
# A small demo and a small quick comparison with one aepo binary, to compare two builds' outputs byte for byte
# (scripts/compare_outputs.py). Usage: scripts/same_outputs.sh BINARY OUT [--set key=value ...]
set -euo pipefail
binary=$1; out=$2; shift 2
mkdir -p "$out"
"$binary" demo --out "$out/demo" --set sft.steps=40 --set trainer.steps=3 "$@" > "$out/demo.log" 2>&1
"$binary" compare --budget quick --seeds 1 --steps 2 --algorithms grpo,gspo,aepo --questions 10 --set sft.steps=40 "$@" \
    --out "$out/compare" > "$out/compare.log" 2>&1
