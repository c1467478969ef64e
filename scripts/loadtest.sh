#!/usr/bin/env bash
# Runs the Gatling simulations of loadtest/ (steady, ramp, overload, in that order) against a freshly started service
# and copies each HTML report to target/loadtest-reports/<simulation>/. Stops at the first simulation that fails its
# assertions (its report is still copied). About 5 minutes with the defaults.
#
#   scripts/loadtest.sh [simulation ...]      (default: steady ramp overload)
#   env: MODEL_DIR (default src/main/models/shapes), PORT (18089), GATLING_OPTS (e.g. "-Drate=3 -Dsteps=8"),
#        JAVA_OPTS, REBUILD=1; SERVICE_URL to test a service already running instead of starting one
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# > 0)); then
    SIMULATIONS=("$@")
else
    SIMULATIONS=(steady ramp overload)
fi
MODEL_DIR=${MODEL_DIR:-src/main/models/shapes}
PORT=${PORT:-18089}
source scripts/bench-service.sh
machine_line

if [[ -n ${SERVICE_URL:-} ]]; then
    url=$SERVICE_URL
else
    start_service "$PORT" target/loadtest-service.log
    url=http://localhost:$PORT
    echo "service ready after $READY_SECONDS s"
fi

for name in "${SIMULATIONS[@]}"; do
    class="dev.diffusion.loadtest.${name^}Simulation"
    status=0
    # shellcheck disable=SC2086  # GATLING_OPTS holds several options
    ./mvnw -B -f loadtest/pom.xml gatling:test -Dgatling.simulationClass="$class" -DbaseUrl="$url" \
        ${GATLING_OPTS:-} </dev/null | tee "target/loadtest-$name.log" | grep -v -E '^\[INFO\] Download' || status=$?
    report=$(ls -td loadtest/target/gatling/"$name"simulation-*/ | head -1)
    rm -rf "target/loadtest-reports/$name"
    mkdir -p target/loadtest-reports
    cp -r "$report" "target/loadtest-reports/$name"
    echo "report: target/loadtest-reports/$name/index.html"
    if ((status != 0)); then
        echo "$name failed; see target/loadtest-$name.log" >&2
        exit "$status"
    fi
done
