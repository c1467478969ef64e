#!/usr/bin/env bash
# How fast each vCPU of this machine is right now: a fixed single-threaded Python loop pinned to each in turn, its
# best of 3 in milliseconds (less is faster). On the shared 2-vCPU machines one vCPU ran 1.5-1.9x slower than the
# other for minutes at a time (host contention), which decides how fast a single-threaded process runs there.
#
#   scripts/vcpu-speeds.sh [SAMPLES=1] [SECONDS_BETWEEN=5]     prints one line per sample
#   scripts/vcpu-speeds.sh --fastest                            prints the fastest vCPU's number only
#   env: ITERATIONS (1000000: the loop's length)
set -euo pipefail
probe() {
    ITERATIONS=${ITERATIONS:-1000000} taskset -c "$1" python3 -c '
import os, time
def once():
    start = time.perf_counter(); total = 0
    for i in range(int(os.environ["ITERATIONS"])):
        total += i * i
    return time.perf_counter() - start
print(round(min(once() for _ in range(3)) * 1000))'
}
cpus=$(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))')
if [[ ${1:-} == --fastest ]]; then
    for cpu in $cpus; do echo "$(probe "$cpu") $cpu"; done | sort -n | head -1 | cut -d' ' -f2
    exit
fi
samples=${1:-1}
for ((i = 1; i <= samples; i++)); do
    line="$(date -u +%H:%M:%S) vCPU loop ms:"
    for cpu in $cpus; do line+=" cpu$cpu $(probe "$cpu")"; done
    echo "$line"
    ((i == samples)) || sleep "${2:-5}"
done
