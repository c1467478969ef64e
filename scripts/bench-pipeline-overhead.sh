#!/usr/bin/env bash
# Prints the denoising loop's own time per step outside the UNet call, per scheduler and batch size.
# Usage: scripts/bench-pipeline-overhead.sh [model-dir] [steps] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-src/main/models/shapes}
./mvnw -q -B test -Dtest=PipelineOverheadBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbenchmark=true -Dbenchmark.model="$model" -Dbenchmark.steps="${2:-50}" -Dbenchmark.runs="${3:-20}" \
    -DtrimStackTrace=false 2>&1 | grep -E '^(model|[a-z_0-9]+ +images=)'
