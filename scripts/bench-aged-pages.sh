#!/usr/bin/env bash
# The slow state, made on purpose: runs the service's pipeline (SmallCallDrift: rounds of 8-step images at 128 px on
# MODEL_DIR, each round's time per image and median call of each network) once per ATen kernel set in CAPABILITIES,
# and after round AGE_AFTER ages libtorch_cpu.so's pages in that process, as the kernel's reclaim does to memory it
# finds cold (process_madvise MADV_COLD: the accessed bits of their page-table entries are cleared and the pages
# go to the inactive list; nothing is paged out). On these VMs ATen's AVX-512 kernels then ran at about half speed
# for the rest of the process, and its AVX2 kernels did not (BENCHMARKS.md, "Real sizes", item 8). Needs root (or
# CAP_SYS_NICE) and Linux 5.10+. For BENCHMARKS.md; not a test.
#
#   scripts/bench-aged-pages.sh [MODEL_DIR=src/test/resources/parity/models/tiny-sd15]
#   env: CAPABILITIES ("avx512 avx2"), ROUNDS (7), IMAGES (30 per round), AGE_AFTER (2, the round after which)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-service.sh
MODEL_DIR=${1:-src/test/resources/parity/models/tiny-sd15}
CAPABILITIES=${CAPABILITIES:-avx512 avx2}
ROUNDS=${ROUNDS:-7} IMAGES=${IMAGES:-30} AGE_AFTER=${AGE_AFTER:-2}
mkdir -p target
machine_line
for capability in $CAPABILITIES; do
    out=target/bench-aged-pages-$capability.txt
    ATEN_CPU_CAPABILITY=$capability run_bench_program SmallCallDrift "$MODEL_DIR" "$ROUNDS" "$IMAGES" 0 >"$out" 2>&1 &
    runner=$!
    until grep -q "^round $AGE_AFTER:" "$out"; do
        kill -0 "$runner" 2>/dev/null || { cat "$out" >&2; exit 1; }
        sleep 0.2
    done
    pid=$(pgrep -n -f "java .*SmallCallDrift")
    aged=$(python3 - "$pid" <<'PY'
import ctypes, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
SYS_PIDFD_OPEN, SYS_PROCESS_MADVISE, MADV_COLD = 434, 440, 20
class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]
pidfd = libc.syscall(SYS_PIDFD_OPEN, pid, 0)
if pidfd < 0:
    sys.exit(f"pidfd_open: errno {ctypes.get_errno()}")
aged = 0
for line in open(f"/proc/{pid}/maps"):
    fields = line.split()
    if len(fields) >= 6 and fields[5].endswith("/libtorch_cpu.so"):
        start, end = (int(x, 16) for x in fields[0].split("-"))
        span = IoVec(start, end - start)
        done = libc.syscall(SYS_PROCESS_MADVISE, pidfd, ctypes.byref(span), 1, MADV_COLD, 0)
        if done < 0:
            sys.exit(f"process_madvise: errno {ctypes.get_errno()}")
        aged += done
print(f"{aged / 1e6:.0f} MB")
PY
)
    wait "$runner"
    echo "ATEN_CPU_CAPABILITY=$capability, libtorch_cpu.so's pages aged ($aged) after round $AGE_AFTER:"
    grep "^round" "$out" | sed 's/^/  /'
done
