#!/usr/bin/env bash
# Reruns the figures of docs/performance.md: every step-benchmark configuration R times
# (default 3), interleaved so machine noise spreads over all of them, then the recovery
# benchmarks once. Appends one JSON object per run (plus "label") to OUT, then prints
# median [min-max] per configuration. Progress goes to stderr.
#   usage: bench/perf_suite.sh [OUT.jsonl]
#   env: B (binary), R (repetitions, default 3), SECONDS_ (measured seconds, default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-./build-bench/bench/sagaforge-bench}
R=${R:-3}
S=${SECONDS_:-5}
OUT=${1:-build-bench/perf-$(date +%Y%m%d-%H%M%S).jsonl}

run() {
  local label=$1
  shift
  echo "[suite] $label: $B runtime $*" >&2
  "$B" runtime "$@" --json \
    | python3 -c 'import json,sys; j=json.load(sys.stdin); j["label"]=sys.argv[1]; print(json.dumps(j))' \
      "$label" >>"$OUT"
}

for _ in $(seq "$R"); do
  run a-fsync --entities 2 --seconds "$S" --durability fsync
  run a-nosync --entities 2 --seconds "$S" --durability nosync
  run b-fsync --entities 10000 --seconds "$S" --durability fsync
  run b-nosync --entities 10000 --seconds "$S" --durability nosync
  run b-fsync-stealing4 --entities 10000 --seconds "$S" --durability fsync --scheduler stealing
  run b-fsync-single --entities 10000 --seconds "$S" --durability fsync --scheduler single
  run b-fsync-backoff5s --entities 10000 --seconds "$S" --durability fsync --retry-backoff-ms 5000
  run b-memory --entities 10000 --seconds "$S" --durability memory --no-raw
  run b1000-fsync --entities 1000 --seconds "$S" --durability fsync
done
# The datasets (1 M events; 1 M entities twice) take minutes to generate: kept and reused.
run recovery --recovery all --data-dir build-bench/bench-datasets --keep-data
python3 bench/summarize.py "$OUT"
