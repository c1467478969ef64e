#!/usr/bin/env bash
# Real sizes: the service against the plain PyTorch loop on the same TorchScript files, model by model and image
# size by image size, in one run.
#
#   scripts/bench-sizes.sh [MODEL_DIR:PX[,PX...] ...]        (default: src/main/models/shapes:64,128,256)
#   e.g. scripts/bench-sizes.sh src/main/models/shapes:64,128,256 path/to/sd15:256,512,768
#
# For every model the jar is started once with that model as its bundled model (the allocator and threads it
# chooses itself: README, "Native memory" and "Threads"). For every size (pixels; the latent is PX divided by the
# model's vae_scale_factor):
# - the loop (scripts/pytorch_loop.py, Debian's torch) makes $IMAGES images of $STEPS steps one at a time, once per
#   thread count in $LOOP_THREADS, with glibc's malloc tuned as the service tunes its own (large freed buffers kept:
#   MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_; a Python loop allocates on the main thread, where that suffices);
#   the best thread count is kept, and idle OpenMP threads sleep as in the service (OMP_WAIT_POLICY=PASSIVE; on a
#   shared machine spinning threads made two threads many times slower than one). Its seconds per UNet call (one
#   step: 2 rows), images/s and peak resident memory;
# - the service gets the same requests (one image, $STEPS steps, that size, DPM-Solver++ 2M as the loop has it, the
#   model's default guidance) from closed-loop clients at each concurrency of $CONCURRENCY (dev.diffusion.bench.BatchingLoad), after
#   $WARMUP unmeasured requests at that size (and $JIT_WARMUP before a model's cells: see below): images/s,
#   seconds per UNet call at concurrency 1 (from its diffusion.model.call metric), and the peak resident memory of
#   the process over the size's cells (VmHWM, reset before each size).
# Before the sizes of a model, a pixel check: the loop makes the service's image of seed 42 at the first size, within
# 2 levels per channel, or the script stops (it would not be the same work).
# Prints a Markdown table with the service's speed against the loop's. Not a test: figures depend on the machine;
# results go in BENCHMARKS.md.
#
# Each size runs ROUNDS times, the two sides in turn, and each side keeps its best round: this machine switches
# between two speeds for minutes at a time, and a cell whose sides ran at different speeds moved by up to 1.5×.
# Part of it was the service's own (ATen's AVX-512 kernels on aged pages, now avoided: README, ATEN_CPU_CAPABILITY);
# the rest is the vCPUs' (scripts/vcpu-speeds.sh: one of the two ran 1.5-1.9× slower than the other for
# minutes, host contention), so a single-threaded side runs at the speed of whichever vCPU it lands on. With
# PIN=fastest (the default) each round first measures the vCPUs and prints them; then the loop's one-thread run and,
# at a size where one thread is the loop's best (its first round), the service's whole process for concurrency 1 run
# on the fastest vCPU of that round, the same one for both sides (the service's other threads, HTTP and the JIT,
# share that vCPU with its worker: no advantage to the service). Runs on two threads are not pinned. PIN=none: no
# pinning, as before.
#
# The JIT compiles the service's request path (HTTP, JSON, jobs, metrics: some 10,000 methods) over its first
# thousands of requests (a method called once a request reaches C2's thresholds only after some thousands), and where
# the whole process is on one vCPU its compiler threads take the worker's time: the bundled model at 64 px (0.12-0.14
# s a request by curl), 10.7 ms of theirs an image over the first 300 requests, 3.8-6.8 ms up to the 1200th, 0.8-2.9
# ms from the 1200th to the 3000th (scripts/bench-jit-warmup.sh; BENCHMARKS.md, "Real sizes"). A served process lives
# far longer than that, so before its cells each model gets $JIT_WARMUP requests one at a time at $JIT_WARMUP_PX px
# (cheap; the Java code is the same at every size), the process on both vCPUs (a Python loop has no JIT to warm).
# JIT_WARMUP=0 measures the process young. The client (BatchingLoad, a fresh JVM per cell) first warms its own HTTP
# code with GET /models (CLIENT_WARMUP, 200).
#
# env: STEPS (8), IMAGES (images per cell, 4), CONCURRENCY ("1 4"), LOOP_THREADS ("1 2"), WARMUP (24),
#      JIT_WARMUP (1500), JIT_WARMUP_PX (64), ROUNDS (2), WARMUP_AGAIN (4, before the service's later rounds),
#      PIN (fastest or none), PORT (18088),
#      JAVA_OPTS, REBUILD=1 (package the jar again), PYTHON (/usr/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=${STEPS:-8}
IMAGES=${IMAGES:-4}   # at least the highest concurrency, so that its clients fill a batch
CONCURRENCY=${CONCURRENCY:-1 4}
LOOP_THREADS=${LOOP_THREADS:-1 2}
WARMUP=${WARMUP:-24}  # the worker's Java code runs compiled at full speed only after some thousand steps
WARMUP_AGAIN=${WARMUP_AGAIN:-4}  # before the service's later rounds of a size
JIT_WARMUP=${JIT_WARMUP:-1500}  # before a model's cells
JIT_WARMUP_PX=${JIT_WARMUP_PX:-64}
ROUNDS=${ROUNDS:-2}
PIN=${PIN:-fastest}
PORT=${PORT:-18088}
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=target/bench-sizes
mkdir -p "$OUT"
source scripts/bench-service.sh
(($# > 0)) || set -- src/main/models/shapes:64,128,256
began=$(date -u +%H:%M)
machine_line
echo "command: scripts/bench-sizes.sh $* (STEPS=$STEPS IMAGES=$IMAGES CONCURRENCY=\"$CONCURRENCY\" LOOP_THREADS=\"$LOOP_THREADS\" ROUNDS=$ROUNDS JIT_WARMUP=$JIT_WARMUP at $JIT_WARMUP_PX px PIN=$PIN)"

field() { awk -v key="$2" '{ for (i = 2; i <= NF; i++) if ($i == key) print $(i - 1) }' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }

rows=()
for spec in "$@"; do
    MODEL_DIR=${spec%%:*}
    scale=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['vae_scale_factor'])" \
        "$MODEL_DIR/model_index.json")
    log="$OUT/service-$(basename "$MODEL_DIR").log"
    start_service "$PORT" "$log"
    url=http://localhost:$PORT
    pid=${SERVICES[-1]}
    all_cpus=$(taskset -p -c "$pid" | sed 's/.*: //')  # to undo a round's pinning
    echo "$MODEL_DIR: service ready in $READY_SECONDS s; $(grep -o 'native runtime: .*' "$log" | head -1)"
    # the worker measures the model's call costs after start (10-40 s of calls at many sizes): not during the cells
    waited=0
    until curl -sf "$url/models" | grep -q '"allowed_sizes":{'; do
        sleep 1
        waited=$((waited + 1))
    done
    echo "  costs measured $waited s after ready"
    IFS=, read -ra sizes <<<"${spec#*:}"
    # same work: the loop must make the service's image (seed 42, the first size) within 2 levels per channel
    px=${sizes[0]}
    # (a 503 until the worker has measured the model's costs: curl retries it)
    curl -sf --retry 300 --retry-delay 2 -X POST "$url/generate?wait=true" -H 'Accept: image/png' \
        -H 'Content-Type: application/json' -d "{\"prompt\": \"a red circle on a blue background\", \"seed\": 42, \"width\": $px, \"height\": $px,
             \"steps\": $STEPS, \"scheduler\": \"dpmpp_2m\"}" -o "$OUT/service-$(basename "$MODEL_DIR")-check.png"
    if ! check=$("$PYTHON" scripts/pytorch_loop.py --model "$MODEL_DIR" --size "$px" --steps "$STEPS" --images 0 \
            --any-default-scheduler --reference "$OUT/service-$(basename "$MODEL_DIR")-check.png" --seed 42 \
            --prompt "a red circle on a blue background"); then
        echo "$check"
        echo "the loop does not make the service's image of $MODEL_DIR, so it would not be the same work" >&2
        exit 1
    fi
    echo "  $check"
    if ((JIT_WARMUP > 0)); then
        began_warmup=$SECONDS
        WARMUP_REQUESTS=$((JIT_WARMUP - 1)) BENCH_EXTRA="\"width\": $JIT_WARMUP_PX, \"height\": $JIT_WARMUP_PX, \"steps\": $STEPS,
            \"scheduler\": \"dpmpp_2m\"" run_bench_program BatchingLoad 1 1 1 "service=$url" >/dev/null
        echo "  JIT warm-up: $JIT_WARMUP requests at $JIT_WARMUP_PX px in $((SECONDS - began_warmup)) s"
    fi
    for px in "${sizes[@]}"; do
        latent=$((px / scale))
        # ROUNDS times in turn, the loop (at each thread count) and the service (at each concurrency): the machine
        # switches between two speeds for minutes at a time (BENCHMARKS.md, "Real sizes"), so each side keeps its best
        # round, as it keeps its best thread count
        best=""
        declare -A service_rate=()
        service_step=""
        echo 5 >"/proc/$pid/clear_refs"  # resets the peak resident memory (VmHWM)
        one_thread_cell=""  # set after the first round: one thread is the loop's best at this size
        for round in $(seq "$ROUNDS"); do
            pin_cpu=""
            if [[ $PIN == fastest ]]; then
                echo "  $px px, round $round, $(scripts/vcpu-speeds.sh)"
                pin_cpu=$(scripts/vcpu-speeds.sh --fastest)
            fi
            for threads in $LOOP_THREADS; do
                pinned=()
                if [[ -n $pin_cpu && $threads == 1 ]]; then
                    pinned=(taskset -c "$pin_cpu")
                fi
                line=$(MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 OMP_WAIT_POLICY=PASSIVE \
                    GOMP_SPINCOUNT=0 "${pinned[@]}" "$PYTHON" scripts/pytorch_loop.py \
                    --model "$MODEL_DIR" --size "$px" --steps "$STEPS" --images "$IMAGES" --warmup 1 --threads "$threads" --any-default-scheduler)
                echo "  $px px, round $round, loop${pinned[*]:+ on vCPU $pin_cpu}: $line"
                if [[ -z $best ]] || awk -v a="$(field "$line" images/s)" -v b="$(field "$best" images/s)" \
                        'BEGIN { exit !(a > b) }'; then
                    best=$line
                    best_threads=$threads
                fi
            done
            [[ -n $one_thread_cell ]] || one_thread_cell=$([[ $best_threads == 1 ]] && echo yes || echo no)

            # the service; the first round warms it up at this size ($WARMUP requests), later ones need a few only
            extra="\"width\": $px, \"height\": $px, \"steps\": $STEPS, \"scheduler\": \"dpmpp_2m\""
            warmup=$WARMUP
            ((round == 1)) || warmup=$WARMUP_AGAIN
            for c in $CONCURRENCY; do
                where=""
                if [[ -n $pin_cpu && $one_thread_cell == yes && $c == 1 ]]; then
                    taskset -a -p -c "$pin_cpu" "$pid" >/dev/null  # every thread of the process
                    where=" on vCPU $pin_cpu"
                fi
                before=$(unet_seconds "$url")
                WARMUP_REQUESTS=$warmup BENCH_EXTRA="$extra" run_bench_program BatchingLoad "$IMAGES" 1 "$c" \
                    "service=$url" >"$OUT/service-$(basename "$MODEL_DIR")-$px-c$c.txt"
                after=$(unet_seconds "$url")
                [[ -z $where ]] || taskset -a -p -c "$all_cpus" "$pid" >/dev/null
                row=$(grep "^| $c | service |" "$OUT/service-$(basename "$MODEL_DIR")-$px-c$c.txt")
                rate=$(cut -d'|' -f4 <<<"$row" | xargs)
                echo "  $px px, round $round, service at concurrency $c$where: $rate images/s"
                if [[ -n ${service_rate[$c]:-} ]] && awk -v a="$rate" -v b="${service_rate[$c]}" 'BEGIN { exit !(a <= b) }'
                then
                    continue
                fi
                service_rate[$c]=$rate
                if [[ $c == 1 ]]; then
                    # the warm-up's calls are in the difference too: they are at the same size
                    service_step=$(awk -v b="$before" -v a="$after" 'BEGIN { split(b, x, " "); split(a, y, " ");
                        printf "%.4f", (y[1] - x[1]) / (y[2] - x[2]) }')
                fi
            done
        done
        loop_rate=$(field "$best" images/s)
        loop_step=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "s" && $(i + 1) == "per") print $(i - 1) }' <<<"$best")
        loop_rss=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "resident") print $(i + 1) }' <<<"$best")
        service_rss=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
        row="| $(basename "$MODEL_DIR") | $px ($latent×$latent) | $loop_step s ($best_threads thr.) | ${service_step:-–} s"
        row+=" | $([[ -n $service_step ]] && ratio "$loop_step" "$service_step" || echo –) | $loop_rate"
        for c in $CONCURRENCY; do
            row+=" | ${service_rate[$c]} ($(ratio "${service_rate[$c]}" "$loop_rate"))"
        done
        row+=" | $loop_rss MB | $service_rss MB |"
        rows+=("$row")
        echo "  $row"
    done
    # a worker measures a model again when its calls keep beating the costs (README, "Admission by cost"); such a
    # probe resets the peak resident memory and takes the worker's idle time, so say when one ran
    grep -o 'model .* measured again .*: a guided .*s, was [0-9.]* s' "$log" | sed 's/^/  /' || true
    stop_services
    SERVICES=()
done

echo
machine_line
echo "command: scripts/bench-sizes.sh $* (STEPS=$STEPS IMAGES=$IMAGES CONCURRENCY=\"$CONCURRENCY\" LOOP_THREADS=\"$LOOP_THREADS\" ROUNDS=$ROUNDS JIT_WARMUP=$JIT_WARMUP at $JIT_WARMUP_PX px PIN=$PIN), from $began UTC"
echo
header="| model | image px (latent) | loop s per step (threads) | service s per step | service speed against the loop | loop images/s"
rule="| --- | --- | --- | --- | --- | ---"
for c in $CONCURRENCY; do
    header+=" | service images/s at c=$c (against the loop)"
    rule+=" | ---"
done
echo "$header | loop peak RSS | service peak RSS |"
echo "$rule | --- | --- |"
printf '%s\n' "${rows[@]}"
