#!/usr/bin/env bash
# Images/s and latency percentiles of two models of one running service, each at its own recommended settings: the
# requests name only the model, a prompt and a seed, so the service takes each model's default scheduler, steps and
# guidance (GET /models shows them); e.g. a few-step distilled model against the model it was distilled from.
# Closed-loop clients (BatchingLoad, src/test/java/dev/diffusion/bench) at every concurrency in $CONCURRENCY, $3 requests per cell; the two
# models take turns cell by cell for $ROUNDS rounds, so that other load on a shared machine touches both alike.
# Prints each model's settings, a table (images/s, latency p50/p95/p99) and A's images/s against B's.
# Not a test: figures depend on the machine; results go in BENCHMARKS.md.
#
#   scripts/bench-models.sh MODEL_A MODEL_B [requests-per-cell]      (default 32)
#   env: SERVICE_URL (default http://localhost:8080), CONCURRENCY ("1 8"), ROUNDS (3), WARMUP (unmeasured requests
#        per model first, 16), BENCH_EXTRA (extra JSON fields for every request, e.g. '"width": 64')
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL_A=${1:?usage: scripts/bench-models.sh MODEL_A MODEL_B [requests-per-cell]}
MODEL_B=${2:?usage: scripts/bench-models.sh MODEL_A MODEL_B [requests-per-cell]}
REQUESTS=${3:-32}
URL=${SERVICE_URL:-http://localhost:8080}
CONCURRENCY=${CONCURRENCY:-1 8}
ROUNDS=${ROUNDS:-3}
source scripts/bench-service.sh
machine_line
echo "service: $URL; extra request fields: ${BENCH_EXTRA:-none}"

models=$(curl -sf "$URL/models") || { echo "no GET /models at $URL: is the service running?" >&2; exit 1; }
# shellcheck disable=SC2016  # $name is jq's
settings='.[] | select(.name == $name) | "\(.default_scheduler), \(.default_steps) steps, guidance'\
' \(.default_guidance_scale)\(if .guidance_embedding then " (embedded: one pass per step)" else "" end)"'
for model in "$MODEL_A" "$MODEL_B"; do
    line=$(jq -r --arg name "$model" "$settings" <<<"$models")
    [[ -n $line ]] || { echo "the service does not serve a model named $model" >&2; exit 1; }
    echo "model $model: $line"
done

WARMUP_REQUESTS=${WARMUP:-16} run_bench_program BatchingLoad "$REQUESTS" "$ROUNDS" "$CONCURRENCY" \
    "$MODEL_A=$URL=\"model\": \"$MODEL_A\"" "$MODEL_B=$URL=\"model\": \"$MODEL_B\""
