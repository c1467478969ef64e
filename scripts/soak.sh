#!/usr/bin/env bash
# Soak: starts the service jar on the bundled model, warms it up, then makes $1 images (default 2000) with
# closed-loop clients (dev.diffusion.bench.SoakLoad) and reports failures and the service process's resident memory
# (VmRSS from /proc) after the warm-up and at the end. Goal: no failure, growth <= $GROWTH_LIMIT_MB (64). The heap is
# fixed and touched up front (-Xms = -Xmx, AlwaysPreTouch) so that growth of the resident memory is native memory
# (libtorch, DJL) and not the heap filling its reservation. Exits 1 if the goal is not met. Not a test: results go in
# BENCHMARKS.md.
#
#   scripts/soak.sh [images]      (default 2000)
#   env: MODEL_DIR (default src/main/models/shapes), WARMUP (images, default 100), CONCURRENCY (4), PORT (18090),
#        GROWTH_LIMIT_MB (64), JAVA_OPTS (default "-Xms512m -Xmx512m -XX:+AlwaysPreTouch -XX:MaxDirectMemorySize=64m"),
#        ALLOCATOR (jemalloc, as the Docker image: Debian's libjemalloc2 preloaded with the image's MALLOC_CONF;
#        glibc: the C library's malloc, which the service trims every diffusion.workers.memory-trim-interval),
#        REBUILD=1 (package again)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGES=${1:-2000}
MODEL_DIR=${MODEL_DIR:-src/main/models/shapes}
WARMUP=${WARMUP:-100}
CONCURRENCY=${CONCURRENCY:-4}
PORT=${PORT:-18090}
GROWTH_LIMIT_MB=${GROWTH_LIMIT_MB:-64}
JAVA_OPTS=${JAVA_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch -XX:MaxDirectMemorySize=64m}
ALLOCATOR=${ALLOCATOR:-jemalloc}
if [[ $ALLOCATOR == jemalloc ]]; then
    JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
    if [[ ! -f $JEMALLOC ]]; then
        echo "no $JEMALLOC: install Debian's libjemalloc2, or run with ALLOCATOR=glibc" >&2
        exit 1
    fi
    # as the Docker image runs the service
    export LD_PRELOAD=$JEMALLOC MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0
fi
# the libtorch environment, find_jar and run_bench_program (this script starts and stops its service itself)
source scripts/bench-service.sh
if [[ -z "$(find_jar)" || "${REBUILD:-0}" == 1 ]]; then
    ./mvnw -q -B -o package -DskipTests
fi
JAR=$(find_jar)

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "model: $MODEL_DIR; $IMAGES images after $WARMUP of warm-up, concurrency $CONCURRENCY; JAVA_OPTS: $JAVA_OPTS;"
echo "allocator: $ALLOCATOR${MALLOC_CONF:+ (MALLOC_CONF=$MALLOC_CONF)}; MALLOC_ARENA_MAX: ${MALLOC_ARENA_MAX:-unset}"

LOG=target/soak.log
# shellcheck disable=SC2086  # JAVA_OPTS holds several options
java $JAVA_OPTS -jar "$JAR" --server.port="$PORT" --diffusion.bundled-model="$MODEL_DIR" \
    --diffusion.models-dir=target/no-extra-models --diffusion.queue.capacity=256 >"$LOG" 2>&1 &
SERVICE=$!
stop_service() {
    kill "$SERVICE" 2>/dev/null || true
    wait "$SERVICE" 2>/dev/null || true
}
trap stop_service EXIT

until curl -sf "localhost:$PORT/actuator/health/readiness" | grep -q '"UP"'; do
    if ! kill -0 "$SERVICE" 2>/dev/null; then
        echo "the service did not start; see $LOG" >&2
        exit 1
    fi
    sleep 2
done

run_bench_program SoakLoad "http://localhost:$PORT" "$SERVICE" "$IMAGES" "$WARMUP" "$CONCURRENCY" "$GROWTH_LIMIT_MB"
