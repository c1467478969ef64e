#!/usr/bin/env bash
# Whether a change made the service slower: this checkout's jar against the jar of an earlier commit, both started
# with the bundled model and the same settings, driven in the same run by closed-loop clients (BatchingLoad) at
# concurrency 1 and 8; the two services take turns cell by cell, so a shared machine's load touches both alike.
# Not a test: the figures go in BENCHMARKS.md.
#
#   scripts/bench-before-after.sh [REF] [requests-per-cell]     (defaults: e6400e8, the commit before the refactor
#                                                                 of issue 19; 32)
#   env: ROUNDS (3), CONCURRENCY ("1 8"), PORT (18097; the earlier jar uses PORT+1), SERVICE_WARMUP (100),
#        BENCH_EXTRA (extra JSON fields for every request), REBUILD=1 (package this checkout's jar again)
set -euo pipefail
cd "$(dirname "$0")/.."

REF=${1:-e6400e8}
REQUESTS=${2:-32}
ROUNDS=${ROUNDS:-3}
CONCURRENCY=${CONCURRENCY:-1 8}
PORT=${PORT:-18097}
MODEL_DIR=src/main/models/shapes
source scripts/bench-service.sh

# the earlier jar, built once per commit in a throw-away worktree
before=target/before-after/$(git rev-parse --short "$REF")
if [[ ! -e $before/service.jar ]]; then
    rm -rf "$before/src"
    mkdir -p "$before"
    git worktree add --detach "$before/src" "$REF" >&2
    (cd "$before/src" && ./mvnw -q -B package -DskipTests >&2)
    cp "$(ls "$before"/src/target/diffusion-service-*.jar | grep -v -- '-plain' | head -1)" "$before/service.jar"
    git worktree remove --force "$before/src"
fi

machine_line
echo "after: this checkout ($(git rev-parse --short HEAD)); before: $REF; model: $MODEL_DIR"
start_service "$PORT" target/bench-after.log --diffusion.queue.capacity=256
SERVICE_JAR=$before/service.jar start_service $((PORT + 1)) target/bench-before.log --diffusion.queue.capacity=256
WARMUP_REQUESTS=${SERVICE_WARMUP:-100} run_bench_program BatchingLoad "$REQUESTS" "$ROUNDS" "$CONCURRENCY" \
    "before($REF)=http://localhost:$((PORT + 1))" "after=http://localhost:$PORT"
