#!/usr/bin/env bash
# Prints the time to encode one image per output format (png, jpeg, webp) and compression at 64, 512 and 1024 pixels
# square, the settings taking turns: median wall time, median and least CPU time of the encoding thread, file size.
# Usage: scripts/bench-image-encoding.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B test -Dtest=ImageEncodingBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbenchmark=true -Dbenchmark.runs="${1:-21}" -DtrimStackTrace=false 2>&1 | grep -E '^(encode, |(png|jpeg|webp) )'
