#!/usr/bin/env bash
# The largest request a model admits, and what it does to the process and to other clients: starts the jar with one
# model, waits until its worker has measured the model's costs, measures small jobs alone, then submits the largest
# square GET /models allows (one image, the model's default steps) while CLIENTS clients keep submitting small jobs.
# Prints the resident memory (peak over baseline, against the worker's native-memory budget), the large job's time
# against max-job-time, and the small jobs' latencies alone and meanwhile.
# Usage: scripts/bench-largest-request.sh [model-dir] [clients] [small side]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL_DIR=${1:-src/main/models/shapes}
CLIENTS=${2:-2}
SMALL=${3:-64}
PORT=${PORT:-18093}
# shellcheck source=bench-service.sh
. scripts/bench-service.sh

mkdir -p target
start_service "$PORT" target/bench-largest-request.log
pid=${SERVICES[-1]}
base="localhost:$PORT"

until curl -sf "$base/models" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[0].get("allowed_sizes") else 1)'
do
    sleep 1
done
read -r model square budget max_seconds steps <<<"$(curl -sf "$base/models" | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]
a = m["allowed_sizes"]
print(m["name"], a["max_square"], a["max_native_memory"], a["max_job_seconds"], m["default_steps"])')"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

# small_jobs N OUT: N small jobs one after the other, each waited for; appends "seconds status" lines to OUT
small_jobs() {
    local n=$1 out=$2 i began ended code
    for ((i = 0; i < n; i++)); do
        began=$(date +%s.%N)
        code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/generate?wait=true" \
            -H 'Content-Type: application/json' \
            -d "{\"prompt\": \"a red circle\", \"width\": $SMALL, \"height\": $SMALL, \"seed\": $i}")
        ended=$(date +%s.%N)
        echo "$(awk -v b="$began" -v e="$ended" 'BEGIN { printf "%.3f", e - b }') $code" >>"$out"
        if [[ -e target/bench-largest-request.stop ]]; then
            break
        fi
    done
}

percentiles() {  # reads seconds on stdin; prints "n p50 p95 max"
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "0 - - -"; exit }
        p50 = v[int((NR - 1) * 0.50) + 1]; p95 = v[int((NR - 1) * 0.95) + 1]
        printf "%d %.2f %.2f %.2f\n", NR, p50, p95, v[NR] }'
}

rm -f target/bench-largest-request.{alone,during,stop}
small_jobs 2 /dev/null  # warm-up
small_jobs 8 target/bench-largest-request.alone
baseline=$(rss_kb)

began=$(date +%s.%N)
large=$(curl -sf -X POST "$base/generate" -H 'Content-Type: application/json' \
    -d "{\"prompt\": \"a blue square\", \"width\": $square, \"height\": $square, \"seed\": 1}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for ((c = 0; c < CLIENTS; c++)); do
    small_jobs 100000 target/bench-largest-request.during &
    clients+=($!)
done
peak=$baseline
status=queued
while [[ $status == queued || $status == running ]]; do
    now=$(rss_kb)
    if ((now > peak)); then
        peak=$now
    fi
    status=$(curl -sf "$base/jobs/$large" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    sleep 0.2
done
large_seconds=$(awk -v b="$began" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - b }')
touch target/bench-largest-request.stop
wait "${clients[@]}"

machine_line
echo "model $model, largest allowed square ${square}x${square} at $steps steps; native-memory budget" \
    "$((budget / 1048576)) MiB, max-job-time ${max_seconds} s; $CLIENTS clients of ${SMALL}x${SMALL} jobs meanwhile"
echo "large job: $status in $large_seconds s"
echo "resident memory: baseline $((baseline / 1024)) MiB, peak $((peak / 1024)) MiB," \
    "peak - baseline $(((peak - baseline) / 1024)) MiB (budget $((budget / 1048576)) MiB)"
printf '%-28s %5s %8s %8s %8s %s\n' "small jobs" n p50_s p95_s max_s "not 200"
read -r n p50 p95 max <<<"$(cut -d' ' -f1 target/bench-largest-request.alone | percentiles)"
printf '%-28s %5s %8s %8s %8s %s\n' "alone" "$n" "$p50" "$p95" "$max" \
    "$(awk '$2 != 200' target/bench-largest-request.alone | wc -l)"
read -r n p50 p95 max <<<"$(cut -d' ' -f1 target/bench-largest-request.during | percentiles)"
printf '%-28s %5s %8s %8s %8s %s\n' "during the large job" "$n" "$p50" "$p95" "$max" \
    "$(awk '$2 != 200' target/bench-largest-request.during | wc -l)"
