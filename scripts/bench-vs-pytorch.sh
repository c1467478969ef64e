#!/usr/bin/env bash
# The service against the plain PyTorch loop a user would write instead, on the same machine in one go.
#
# - Time from start to ready: from launching the jar to /actuator/health/readiness UP (models loaded and warmed).
# - Pixel check: one image made by the service and by the loop from the same seed and prompt must agree within
#   2 levels per channel (the loop then runs the same scheduler, steps and guidance as the service).
# - Then $ROUNDS rounds, each: the loop (scripts/pytorch_loop.py, Debian's torch, the same TorchScript files) making
#   $1 images one at a time, and with $LOOP_BATCH images per network call for context; the service (its defaults,
#   batching on) with closed-loop clients at concurrency 1 and 8, $1 requests each (dev.diffusion.bench.BatchingLoad).
#   Requests and loop images alike: the model's defaults, one image each, six prompts in turn.
# - Prints the median images/s of each, their ratios to the loop's and the goals, and the service's time outside
#   the networks (from its metrics; see BatchingLoad.java).
# Not a test: figures depend on the machine; results go in BENCHMARKS.md.
#
#   scripts/bench-vs-pytorch.sh [images-per-cell]       (default 48)
#   env: MODEL_DIR (default src/main/models/shapes), ROUNDS (3), LOOP_BATCH (8; 0: skip that row), PORT (18087),
#        SERVICE_WARMUP (unmeasured requests before the first round, 300: the JIT's warm-up),
#        LOOP_THREADS (2), LOOP_OPTIONS (more options for pytorch_loop.py, e.g. --graph-optimizer), JAVA_OPTS,
#        REBUILD=1 (package the jar again);
#        on a GPU machine: SERVICE_URL (a service already running, e.g. the CUDA image; then the jar is not started
#        and the time to ready not measured), PYTHON (a python3 with a CUDA build of torch), LOOP_DEVICE (cuda),
#        PIXEL_TOLERANCE (levels per channel the pixel check allows, 2)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGES=${1:-48}
MODEL_DIR=${MODEL_DIR:-src/main/models/shapes}
ROUNDS=${ROUNDS:-3}
LOOP_BATCH=${LOOP_BATCH:-8}
SERVICE_WARMUP=${SERVICE_WARMUP:-300}
PORT=${PORT:-18087}
LOOP_THREADS=${LOOP_THREADS:-2}
LOOP_DEVICE=${LOOP_DEVICE:-cpu}
PYTHON=${PYTHON:-/usr/bin/python3}   # Debian's, with python3-torch
CHECK_PROMPT="a red circle on a blue background"
CHECK_SEED=42
OUT=target/bench-vs-pytorch
mkdir -p "$OUT"
source scripts/bench-service.sh
machine_line
echo "model: $MODEL_DIR; $IMAGES images per cell, $ROUNDS rounds"

if [[ -n ${SERVICE_URL:-} ]]; then
    url=$SERVICE_URL
    ready="not measured (a service already running at $url)"
else
    start_service "$PORT" "$OUT/service.log"
    url=http://localhost:$PORT
    ready="$READY_SECONDS s"
fi
echo "service ready: $ready"

curl -sf -X POST "$url/generate?wait=true" -H 'Accept: image/png' -H 'Content-Type: application/json' \
    -d "{\"prompt\": \"$CHECK_PROMPT\", \"seed\": $CHECK_SEED}" -o "$OUT/service-seed$CHECK_SEED.png"
# shellcheck disable=SC2206  # LOOP_OPTIONS holds several options
loop_options=(--model "$MODEL_DIR" --threads "$LOOP_THREADS" --device "$LOOP_DEVICE" ${LOOP_OPTIONS:-})
if ! pixel_check=$("$PYTHON" scripts/pytorch_loop.py "${loop_options[@]}" --images 0 \
        --reference "$OUT/service-seed$CHECK_SEED.png" --seed "$CHECK_SEED" --prompt "$CHECK_PROMPT" \
        --tolerance "${PIXEL_TOLERANCE:-2}"); then
    echo "$pixel_check"
    echo "the loop does not make the service's image, so it would not be the same work; stopping" >&2
    exit 1
fi
echo "$pixel_check"

# loop_rate BATCH: the loop's images/s over $IMAGES images (after 4 warm-up images), as it prints it
loop_rate() {
    local line
    line=$("$PYTHON" scripts/pytorch_loop.py "${loop_options[@]}" --images "$IMAGES" --warmup 4 --batch "$1")
    echo "$line" >&2
    awk '{ for (i = 2; i <= NF; i++) if ($i == "images/s") print $(i - 1) }' <<<"$line"
}

declare -A rates outside share
for round in $(seq "$ROUNDS"); do
    echo "round $round"
    rates[loop1]+="$(loop_rate 1) "
    if ((LOOP_BATCH > 1)); then
        rates[loopN]+="$(loop_rate "$LOOP_BATCH") "
    fi
    # the first round warms the service's JIT with $SERVICE_WARMUP unmeasured requests, later rounds with 8
    WARMUP_REQUESTS=$( ((round == 1)) && echo "$SERVICE_WARMUP" || echo 8) \
        run_bench_program BatchingLoad "$IMAGES" 1 "1 8" "service=$url" >"$OUT/service-round$round.txt"
    for c in 1 8; do
        # | concurrency | mode | images/s | per round | p50 | p95 | images per call | outside ms per step | outside % |
        row=$(grep "^| $c | service |" "$OUT/service-round$round.txt")
        echo "  service at concurrency $c: $row" >&2
        rates[service$c]+="$(cut -d'|' -f4 <<<"$row" | xargs) "
        outside[service$c]+="$(cut -d'|' -f9 <<<"$row" | xargs) "
        share[service$c]+="$(cut -d'|' -f10 <<<"$row" | xargs) "
    done
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
loop=$(median "${rates[loop1]}")

echo
machine_line
echo "command: scripts/bench-vs-pytorch.sh $IMAGES (ROUNDS=$ROUNDS, SERVICE_WARMUP=$SERVICE_WARMUP)"
echo
echo "| | images/s (median) | images/s per round | against the loop | goal |"
echo "| --- | --- | --- | --- | --- |"
echo "| PyTorch loop, one image at a time | $loop | ${rates[loop1]% } | 1.00× | |"
if ((LOOP_BATCH > 1)); then
    n=$(median "${rates[loopN]}")
    echo "| PyTorch loop, $LOOP_BATCH images per call (context) | $n | ${rates[loopN]% } | $(ratio "$n" "$loop") | |"
fi
for c in 1 8; do
    s=$(median "${rates[service$c]}")
    goal=$([[ $c == 1 ]] && echo "≥ 1.00×" || echo "≥ 1.80×")
    echo "| service, concurrency $c | $s | ${rates[service$c]% } | $(ratio "$s" "$loop") | $goal |"
done
echo
for c in 1 8; do
    echo "service at concurrency $c, outside the networks: $(median "${outside[service$c]}") ms per step," \
        "$(median "${share[service$c]}") % of the worker's time (per round: ${share[service$c]% }; goal ≤ 2 %)"
done
echo "time from launch to ready: $ready (goal ≤ 15 s)"
echo "$pixel_check"
