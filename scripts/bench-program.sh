#!/usr/bin/env bash
# Runs one benchmark program of src/test/java/dev/diffusion/bench by its class name, with the libtorch environment of
# the benchmark scripts (compiles the tests first).
#
#   scripts/bench-program.sh CLASS [ARGS...]      e.g. scripts/bench-program.sh UnetThreadCost src/main/models/shapes
#   env: BENCH_JAVA_OPTS (options for its JVM, e.g. -Dai.djl.pytorch.num_threads=1)
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# == 0)); then
    echo "usage: scripts/bench-program.sh CLASS [ARGS...]" >&2
    exit 2
fi
source scripts/bench-service.sh
run_bench_program "$@"
