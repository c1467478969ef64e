#!/usr/bin/env bash
# Images/s and latency with step-level batching on and off. Starts the service jar twice (max-batch-size
# $BATCH_SIZE, then 1) and drives each with closed-loop clients (scripts/BatchingLoad.java) at every concurrency in
# $CONCURRENCY, $1 requests per cell. Not a test: figures depend on the machine; results go in BENCHMARKS.md.
#
#   scripts/bench-batching.sh [requests-per-cell]      (default 32)
#   env: MODEL_DIR (default src/main/models/shapes), BATCH_SIZE (8), CONCURRENCY ("1 4 8 16"), PORT (18085),
#        BENCH_EXTRA (extra JSON fields for every request, e.g. '"steps": 8'), JAVA_OPTS, REBUILD=1
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${1:-32}
MODEL_DIR=${MODEL_DIR:-src/main/models/shapes}
BATCH_SIZE=${BATCH_SIZE:-8}
CONCURRENCY=${CONCURRENCY:-1 4 8 16}
PORT=${PORT:-18085}
# libtorch settings the jar needs (see README: oneDNN's AVX-512 kernels give intermittent NaN on these CPUs)
export ONEDNN_MAX_CPU_ISA=AVX2 TORCH_CPP_LOG_LEVEL=ERROR OPT_OUT_TRACKING=true

find_jar() { ls target/diffusion-service-*.jar 2>/dev/null | grep -v -- '-plain' | head -1; }
if [[ -z "$(find_jar)" || "${REBUILD:-0}" == 1 ]]; then
    ./mvnw -q -B -o package -DskipTests
fi
JAR=$(find_jar)

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "model: $MODEL_DIR; requests per cell: $REQUESTS; extra request fields: ${BENCH_EXTRA:-none}"

SERVICE=
stop_service() {
    if [[ -n "$SERVICE" ]]; then
        kill "$SERVICE" 2>/dev/null || true
        wait "$SERVICE" 2>/dev/null || true
        SERVICE=
    fi
}
trap stop_service EXIT

run_mode() {
    local label=$1 size=$2 log=target/bench-batching-size$2.log
    # shellcheck disable=SC2086  # JAVA_OPTS holds several options
    java ${JAVA_OPTS:-} -jar "$JAR" --server.port="$PORT" --diffusion.bundled-model="$MODEL_DIR" \
        --diffusion.models-dir=target/no-extra-models --diffusion.batching.max-batch-size="$size" \
        --diffusion.queue.capacity=256 >"$log" 2>&1 &
    SERVICE=$!
    until curl -sf "localhost:$PORT/actuator/health/readiness" | grep -q '"UP"'; do
        if ! kill -0 "$SERVICE" 2>/dev/null; then
            echo "the service did not start; see $log" >&2
            exit 1
        fi
        sleep 2
    done
    # shellcheck disable=SC2086  # one argument per concurrency
    java scripts/BatchingLoad.java "http://localhost:$PORT" "$label" "$REQUESTS" $CONCURRENCY
    stop_service
}

run_mode "batched($BATCH_SIZE)" "$BATCH_SIZE"
run_mode "unbatched(1)" 1
