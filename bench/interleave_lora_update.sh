#!/bin/bash
# Interleaved LoRA RL update figures at one model's shape, for a host whose speed drifts: runs each argument in turn
# (an aepo binary, or "pytorch" for bench/pytorch_reference.py) with the same options and appends one line per run
# to OUT/log: the time it finished, its number, its name and its JSON figures.
#   bench/interleave_lora_update.sh MODEL_DIR OUT_DIR .build/release/aepo pytorch .build/release/aepo pytorch
# Options after `--` go to every run after the defaults below (for example `-- --length 64 --lora 4` on a small model).
# Run it on an otherwise idle machine; each run takes about 4-6 minutes at Qwen3-0.6B's shape.
set -euo pipefail
if [ $# -lt 3 ]; then echo "usage: $0 MODEL_DIR OUT_DIR (BINARY|pytorch)... [-- OPTION...]" >&2; exit 2; fi
model=$1 out=$2
shift 2
programs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do programs+=("$1"); shift; done
[ $# -gt 0 ] && shift
mkdir -p "$out"
options=(--model "$model" --lora 16 --activation-checkpointing --only train-lora --repeat 1 "$@")
n=0
for program in "${programs[@]}"; do
  n=$((n + 1))
  name=$(basename "$program")
  if [ "$program" = pytorch ]; then
    python3 "$(dirname "$0")/pytorch_reference.py" "${options[@]}" > "$out/$n-$name.json"
  else
    "$program" bench "${options[@]}" > "$out/$n-$name.json"
  fi
  echo "$(date -u +%T) $n $name $(tr -d '\n' < "$out/$n-$name.json")" >> "$out/log"
done
