#!/usr/bin/env bash
# How well the admission's cost model predicts UNet and VAE calls it did not measure: the worker's warm-up probe,
# then real calls at larger latent sides and more rows, predicted beside measured (time and peak native memory).
# Usage: scripts/bench-cost-model.sh [model-dir] [latent sides, e.g. 48,80,96,128] [rows, e.g. 1,2,4]
#   env: ROUNDS (2: rounds over the whole table, each call's shortest time kept, as the probe keeps its shortest)
# Run it as the service runs: with jemalloc preloaded where it is installed (as ./mvnw spring-boot:run does).
set -euo pipefail
cd "$(dirname "$0")/.."
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
if [ -e "$jemalloc" ] && [ -z "${LD_PRELOAD:-}" ]; then
    export LD_PRELOAD=$jemalloc
    export MALLOC_CONF=${MALLOC_CONF:-background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,oversize_threshold:0}
elif [ ! -e "$jemalloc" ]; then
    # measured without it, the tiny SD 1.x fixture's decoder calls were under-estimated by up to 31% (2026-12-03 18:30)
    echo "no jemalloc ($jemalloc; Debian: apt-get install libjemalloc2): measuring on glibc's malloc" >&2
fi
./mvnw -q -B test -Dtest=CostModelBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbenchmark=true -Dbenchmark.model="${1:-src/main/models/shapes}" -Dbenchmark.sides="${2:-48,80,96,128}" \
    -Dbenchmark.rows="${3:-1,2,4}" -Dbenchmark.rounds="${ROUNDS:-2}" -Dbenchmark.out=target/cost-model.txt \
    -DtrimStackTrace=false >/dev/null 2>&1
# the table from its file: libtorch's warnings (NNPACK, at every new shape) break lines of the test's output
cat target/cost-model.txt
