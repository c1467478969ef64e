# Shared by the benchmark scripts (source it from the project root): the jar, the libtorch environment, starting
# services with readiness polling, stopping them on exit, and running the benchmark programs of the test sources.
# Not a script of its own.

# libtorch settings the jar needs (see README: oneDNN's AVX-512 kernels give intermittent NaN on these CPUs, ATen's
# slow down once the kernel ages libtorch's pages; a caller's ATEN_CPU_CAPABILITY wins, to compare)
export ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-avx2} TORCH_CPP_LOG_LEVEL=ERROR OPT_OUT_TRACKING=true

# the allocator every documented way to start the service uses (README, "Native memory"): jemalloc where it is
# installed (JEMALLOC=none: glibc's malloc, as the service tunes it itself)
JEMALLOC=${JEMALLOC:-/usr/lib/x86_64-linux-gnu/libjemalloc.so.2}
SERVICE_ENV=()
if [[ -e $JEMALLOC ]]; then
    SERVICE_ENV=(LD_PRELOAD="$JEMALLOC" MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,oversize_threshold:0)
fi

find_jar() { ls target/diffusion-service-*.jar 2>/dev/null | grep -v -- '-plain' | head -1; }

# package_jar: packages the service's jar if there is none yet, or once per run with REBUILD=1
package_jar() {
    if [[ -z "$(find_jar)" || "${REBUILD:-0}" == 1 ]]; then
        ./mvnw -q -B package -DskipTests
        REBUILD=0
    fi
}

# run_bench_program CLASS [ARGS...]: runs dev.diffusion.bench.CLASS (src/test/java, compiled with the tests) with the
# libtorch environment above and the options in BENCH_JAVA_OPTS. Compiles the tests and writes their classpath once
# per run of the calling script; Maven's output goes to stderr.
BENCH_PROGRAMS_BUILT=0
run_bench_program() {
    local class=$1
    shift
    if [[ $BENCH_PROGRAMS_BUILT == 0 ]]; then
        ./mvnw -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt \
            -Dmdep.includeScope=test >&2
        BENCH_PROGRAMS_BUILT=1
    fi
    # shellcheck disable=SC2086  # BENCH_JAVA_OPTS holds several options
    java ${BENCH_JAVA_OPTS:-} -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
        "dev.diffusion.bench.$class" "$@"
}

# unet_seconds URL: the sum and count of the service's UNet calls so far
unet_seconds() {
    curl -sf "$1/actuator/prometheus" | awk '/^diffusion_model_call_seconds_(sum|count)\{.*network="unet"/ {
        if ($1 ~ /_sum/) s += $2; else c += $2 } END { printf "%s %s\n", s + 0, c + 0 }'
}

machine_line() {
    echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB," \
        "$(java -version 2>&1 | head -1), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

SERVICES=()
stop_services() {
    for pid in "${SERVICES[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_services EXIT

# start_service PORT LOG [--spring.option=value ...]: starts the jar ($SERVICE_JAR if set, else this checkout's) with
# the bundled model $MODEL_DIR and no other models, waits until /actuator/health/readiness is UP and sets
# READY_SECONDS to the time from launch to UP.
start_service() {
    local port=$1 log=$2
    shift 2
    local jar began
    if [[ -n ${SERVICE_JAR:-} ]]; then
        jar=$SERVICE_JAR  # another build of the service, e.g. an earlier commit's
    else
        package_jar
        jar=$(find_jar)
    fi
    began=$(date +%s.%N)
    # shellcheck disable=SC2086  # JAVA_OPTS holds several options
    env "${SERVICE_ENV[@]}" java ${JAVA_OPTS:-} -jar "$jar" --server.port="$port" --diffusion.bundled-model="$MODEL_DIR" \
        --diffusion.models-dir=target/no-extra-models --diffusion.extra-bundled-models= "$@" >"$log" 2>&1 &
    SERVICES+=($!)
    until curl -sf "localhost:$port/actuator/health/readiness" | grep -q '"UP"'; do
        if ! kill -0 "${SERVICES[-1]}" 2>/dev/null; then
            echo "the service did not start; see $log" >&2
            exit 1
        fi
        sleep 0.2
    done
    READY_SECONDS=$(awk -v began="$began" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - began }')
}
