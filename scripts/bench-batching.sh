#!/usr/bin/env bash
# Images/s and latency with step-level batching on and off. Starts the service jar twice — max-batch-size
# $BATCH_SIZE and max-batch-size 1 — and drives them with closed-loop clients (dev.diffusion.bench.BatchingLoad) at
# every concurrency in $CONCURRENCY, $1 requests per cell. The two services take turns cell by cell for $ROUNDS rounds
# (only one is under load at a time), so that other load on a shared machine touches both alike.
# Not a test: figures depend on the machine; results go in BENCHMARKS.md.
#
#   scripts/bench-batching.sh [requests-per-cell]      (default 32)
#   env: MODEL_DIR (default src/main/models/shapes), BATCH_SIZE (8), CONCURRENCY ("1 4 8 16"), ROUNDS (3),
#        PORT (18085; the unbatched service uses PORT+1), SERVICE_WARMUP (unmeasured requests per service first,
#        300: the JIT's warm-up), BENCH_EXTRA (extra JSON fields for every request, e.g.
#        '"steps": 8'), JAVA_OPTS, REBUILD=1 (package the jar again)
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${1:-32}
MODEL_DIR=${MODEL_DIR:-src/main/models/shapes}
BATCH_SIZE=${BATCH_SIZE:-8}
CONCURRENCY=${CONCURRENCY:-1 4 8 16}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18085}
source scripts/bench-service.sh
machine_line
echo "model: $MODEL_DIR; extra request fields: ${BENCH_EXTRA:-none}"

start_service "$PORT" "target/bench-batching-size$BATCH_SIZE.log" --diffusion.batching.max-batch-size="$BATCH_SIZE" \
    --diffusion.queue.capacity=256
start_service $((PORT + 1)) target/bench-batching-size1.log --diffusion.batching.max-batch-size=1 \
    --diffusion.queue.capacity=256
WARMUP_REQUESTS=${SERVICE_WARMUP:-300} run_bench_program BatchingLoad "$REQUESTS" "$ROUNDS" "$CONCURRENCY" \
    "batched($BATCH_SIZE)=http://localhost:$PORT" "unbatched(1)=http://localhost:$((PORT + 1))"
