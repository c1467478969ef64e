#!/usr/bin/env bash
# Where a served image's time goes: starts the jar with MODEL_DIR as its bundled model (as scripts/bench-service.sh
# starts it: jemalloc, libtorch settings), waits for its cost probe, sends WARMUP unmeasured then IMAGES measured
# requests one at a time by curl (PX px, STEPS steps of DPM-Solver++ 2M), and prints the wall time per image, the
# differences of /actuator/prometheus's job, model-call and queue sums over the measured requests, and the CPU time
# each thread of the process used meanwhile (from /proc/PID/task). For BENCHMARKS.md ("Real sizes"); not a test.
#
#   scripts/bench-service-split.sh [MODEL_DIR=src/test/resources/parity/models/tiny-sd15]
#   env: PX (128), STEPS (8), WARMUP (30), IMAGES (40), PORT (18083), PIN (a vCPU to pin the whole process to)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-service.sh
MODEL_DIR=${1:-src/test/resources/parity/models/tiny-sd15}
PX=${PX:-128} STEPS=${STEPS:-8} WARMUP=${WARMUP:-30} IMAGES=${IMAGES:-40} PORT=${PORT:-18083}
log=target/bench-service-split.log
mkdir -p target
start_service "$PORT" "$log"
until grep -q "measured on" "$log"; do sleep 1; done
pid=${SERVICES[-1]}
[[ -z ${PIN:-} ]] || taskset -a -p -c "$PIN" "$pid" >/dev/null
request() {
    curl -sf -o /dev/null -X POST "localhost:$PORT/generate?wait=true" -H 'Accept: image/png' \
        -H 'Content-Type: application/json' -d "{\"prompt\": \"a red circle\", \"width\": $PX, \"height\": $PX,
        \"steps\": $STEPS, \"scheduler\": \"dpmpp_2m\", \"seed\": $1}"
}
thread_cpu() {  # tid name clock-ticks
    for task in /proc/"$pid"/task/*; do
        echo "$(basename "$task") $(tr ' ' _ <"$task/comm") $(awk '{print $14 + $15}' "$task/stat")"
    done | sort
}
sums() { curl -sf "localhost:$PORT/actuator/prometheus" | grep -E '^diffusion_(job_duration|model_call|queue_wait)_seconds_(sum|count)'; }
for i in $(seq 1 "$WARMUP"); do request "$i"; done
thread_cpu >target/split-cpu-before; sums >target/split-before
began=$(date +%s.%N)
for i in $(seq 1000 $((1000 + IMAGES - 1))); do request "$i"; done
ended=$(date +%s.%N)
thread_cpu >target/split-cpu-after; sums >target/split-after
machine_line
echo "$MODEL_DIR, $PX px, $STEPS steps, $IMAGES requests one at a time${PIN:+, the process on vCPU $PIN}:" \
    "wall $(awk -v a="$began" -v b="$ended" -v n="$IMAGES" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }') ms per image"
echo "threads' CPU time meanwhile (ms, the busiest):"
join <(cat target/split-cpu-before) <(cat target/split-cpu-after) \
    | awk -v hz="$(getconf CLK_TCK)" '{ d = ($5 - $3) * 1000 / hz; if (d > 0) print "  " $2, d }' | sort -k2 -n -r | head -6
python3 - target/split-before target/split-after "$IMAGES" <<'PY'
import sys
def load(path):
    values = {}
    for line in open(path):
        key, value = line.rsplit(" ", 1)
        values[key] = float(value)
    return values
before, after, images = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
for key in after:
    if "_sum{" in key:
        count_key = key.replace("_sum{", "_count{")
        calls = after[count_key] - before.get(count_key, 0)
        seconds = after[key] - before.get(key, 0)
        if calls > 0:
            label = key.split("{")[0].replace("diffusion_", "").replace("_seconds_sum", "")
            tag = [t for t in key.split("{")[1].rstrip("}").split(",") if t.startswith(("network", "scheduler"))]
            print(f"  {label} {','.join(tag)}: {calls:.0f} calls, {seconds / calls * 1000:.2f} ms each, "
                  f"{seconds / images * 1000:.1f} ms per image")
PY
