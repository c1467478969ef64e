#!/usr/bin/env bash
# How long the JIT takes to compile the service's request path: starts the jar with MODEL_DIR as its bundled model
# (as scripts/bench-service.sh starts it) with -XX:+PrintCompilation, pins the whole process to one vCPU (PIN), and
# sends BLOCKS blocks of PER_BLOCK requests one at a time by curl (PX px, STEPS steps of DPM-Solver++ 2M); prints
# per block the wall time per image, the compilations the JIT logged and the CPU time of its compiler threads per
# image. For BENCHMARKS.md ("Real sizes"), and why scripts/bench-sizes.sh warms a service up longer (JIT_WARMUP).
#
#   scripts/bench-jit-warmup.sh [MODEL_DIR=src/test/resources/parity/models/tiny-sd15]
#   env: PX (128), STEPS (8), BLOCKS (12), PER_BLOCK (50), PIN (1), PORT (18084)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-service.sh
MODEL_DIR=${1:-src/test/resources/parity/models/tiny-sd15}
PX=${PX:-128} STEPS=${STEPS:-8} BLOCKS=${BLOCKS:-12} PER_BLOCK=${PER_BLOCK:-50} PIN=${PIN:-1} PORT=${PORT:-18084}
log=target/bench-jit-warmup.log
mkdir -p target
JAVA_OPTS="${JAVA_OPTS:-} -XX:+PrintCompilation" start_service "$PORT" "$log"
until grep -q "measured on" "$log"; do sleep 1; done
pid=${SERVICES[-1]}
taskset -a -p -c "$PIN" "$pid" >/dev/null
request() {
    curl -sf -o /dev/null -X POST "localhost:$PORT/generate?wait=true" -H 'Accept: image/png' \
        -H 'Content-Type: application/json' -d "{\"prompt\": \"a red circle\", \"width\": $PX, \"height\": $PX,
        \"steps\": $STEPS, \"scheduler\": \"dpmpp_2m\", \"seed\": $1}"
}
compiler_ticks() {  # CPU clock ticks of the JIT's compiler threads so far
    for task in /proc/"$pid"/task/*; do
        if grep -q Compiler "$task/comm" 2>/dev/null; then
            awk '{print $14 + $15}' "$task/stat" 2>/dev/null || true
        fi
    done | awk '{ s += $1 } END { print s + 0 }'
}
compiled() { grep -c -v "made not entrant" "$log" || true; }
machine_line
echo "$MODEL_DIR, $PX px, $STEPS steps, requests one at a time by curl, the process on vCPU $PIN:"
echo "| requests | wall ms per image | compilations logged | compiler threads' CPU ms per image |"
echo "| --- | --- | --- | --- |"
hz=$(getconf CLK_TCK)
for block in $(seq 1 "$BLOCKS"); do
    lines=$(compiled)
    ticks=$(compiler_ticks)
    began=$(date +%s.%N)
    for i in $(seq 1 "$PER_BLOCK"); do request $((block * 1000 + i)); done
    ended=$(date +%s.%N)
    echo "| $(((block - 1) * PER_BLOCK + 1))-$((block * PER_BLOCK)) |" \
        "$(awk -v a="$began" -v b="$ended" -v n="$PER_BLOCK" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }') |" \
        "$(($(compiled) - lines)) |" \
        "$(awk -v t="$(($(compiler_ticks) - ticks))" -v hz="$hz" -v n="$PER_BLOCK" 'BEGIN { printf "%.1f", t * 1000 / hz / n }') |"
done
