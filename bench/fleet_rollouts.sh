#!/bin/bash
# Rollout wall time with the native engine, one local `aepo serve` on all cores, one on half of them, and two local
# servers on half of the cores each: two servers against one on half the cores is the scaling a second machine gives,
# two against one on all cores what splitting one machine gives.
#
#   bash bench/fleet_rollouts.sh MODEL_DIR BENCHMARK_DIR [QUESTIONS] [THREADS]
#
# Each configuration rolls out the same QUESTIONS training questions (default 16) with AEPO's tree rollout
# (8 trajectories per question) at temperature 0.7 and prints one JSON line: {"backend", "servers", "threads_per_server",
# "seconds", "trajectories"}. THREADS (default: all processors) is split evenly between the servers. Run it on an
# otherwise idle machine with a release build (`swift build -c release`); the servers are stopped on exit.
set -euo pipefail
model=$1 data=$2 questions=${3:-16} threads=${4:-$(nproc)}
aepo=${AEPO:-.build/release/aepo}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
common=(--data "$data" --questions "$questions" --algorithm aepo --seed 1 --set rollout.n=8 --set rollout.temperature=0.7)

measure() { # label servers threads_per_server command…
    local label=$1 servers=$2 per=$3; shift 3
    local start end
    start=$(date +%s.%N)
    "$@" --out "$work/$label.jsonl" > /dev/null
    end=$(date +%s.%N)
    printf '{"backend": "%s", "servers": %d, "threads_per_server": %d, "seconds": %.2f, "trajectories": %d}\n' \
        "$label" "$servers" "$per" "$(echo "$end - $start" | bc)" "$(wc -l < "$work/$label.jsonl")"
}

serve() { # port threads
    AEPO_THREADS=$2 "$aepo" serve --model "$model" --name policy --port "$1" --max-tokens 32768 --max-prompt-tokens 32768 > "$work/serve-$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 600); do
        curl -sf "http://127.0.0.1:$1/v1/models" > /dev/null && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start: $(cat "$work/serve-$1.log")" >&2
    exit 1
}

AEPO_THREADS=$threads measure native 0 "$threads" "$aepo" rollout --model "$model" "${common[@]}"

serve 18101 "$threads"
measure openai-1 1 "$threads" "$aepo" rollout --backend openai --endpoint http://127.0.0.1:18101 --model policy \
    --tokenizer "$model/tokenizer.json" "${common[@]}"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

half=$(( threads / 2 > 0 ? threads / 2 : 1 ))
serve 18104 "$half"
measure openai-1 1 "$half" "$aepo" rollout --backend openai --endpoint http://127.0.0.1:18104 --model policy \
    --tokenizer "$model/tokenizer.json" "${common[@]}"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

serve 18102 "$half"; serve 18103 "$half"
measure openai-2 2 "$half" "$aepo" rollout --backend openai --endpoint http://127.0.0.1:18102 \
    --endpoint http://127.0.0.1:18103 --model policy --tokenizer "$model/tokenizer.json" "${common[@]}"
