#!/usr/bin/env bash
# Images/s and latency with step-level batching on and off. Starts the service jar twice — max-batch-size
# $BATCH_SIZE and max-batch-size 1 — and drives them with closed-loop clients (scripts/BatchingLoad.java) at every
# concurrency in $CONCURRENCY, $1 requests per cell. The two services take turns cell by cell for $ROUNDS rounds
# (only one is under load at a time), so that other load on a shared machine touches both alike.
# Not a test: figures depend on the machine; results go in BENCHMARKS.md.
#
#   scripts/bench-batching.sh [requests-per-cell]      (default 32)
#   env: MODEL_DIR (default src/main/models/shapes), BATCH_SIZE (8), CONCURRENCY ("1 4 8 16"), ROUNDS (3),
#        PORT (18085; the unbatched service uses PORT+1), BENCH_EXTRA (extra JSON fields for every request, e.g.
#        '"steps": 8'), JAVA_OPTS, REBUILD=1 (package the jar again)
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${1:-32}
MODEL_DIR=${MODEL_DIR:-src/main/models/shapes}
BATCH_SIZE=${BATCH_SIZE:-8}
CONCURRENCY=${CONCURRENCY:-1 4 8 16}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18085}
# libtorch settings the jar needs (see README: oneDNN's AVX-512 kernels give intermittent NaN on these CPUs)
export ONEDNN_MAX_CPU_ISA=AVX2 TORCH_CPP_LOG_LEVEL=ERROR OPT_OUT_TRACKING=true

find_jar() { ls target/diffusion-service-*.jar 2>/dev/null | grep -v -- '-plain' | head -1; }
if [[ -z "$(find_jar)" || "${REBUILD:-0}" == 1 ]]; then
    ./mvnw -q -B -o package -DskipTests
fi
JAR=$(find_jar)

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "model: $MODEL_DIR; extra request fields: ${BENCH_EXTRA:-none}"

SERVICES=()
stop_services() {
    for pid in "${SERVICES[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_services EXIT

start_service() {
    local port=$1 size=$2 log=target/bench-batching-size$2.log
    # shellcheck disable=SC2086  # JAVA_OPTS holds several options
    java ${JAVA_OPTS:-} -jar "$JAR" --server.port="$port" --diffusion.bundled-model="$MODEL_DIR" \
        --diffusion.models-dir=target/no-extra-models --diffusion.batching.max-batch-size="$size" \
        --diffusion.queue.capacity=256 >"$log" 2>&1 &
    SERVICES+=($!)
    until curl -sf "localhost:$port/actuator/health/readiness" | grep -q '"UP"'; do
        if ! kill -0 "${SERVICES[-1]}" 2>/dev/null; then
            echo "the service did not start; see $log" >&2
            exit 1
        fi
        sleep 2
    done
}

start_service "$PORT" "$BATCH_SIZE"
start_service $((PORT + 1)) 1
java scripts/BatchingLoad.java "$REQUESTS" "$ROUNDS" "$CONCURRENCY" \
    "batched($BATCH_SIZE)=http://localhost:$PORT" "unbatched(1)=http://localhost:$((PORT + 1))"
