#!/usr/bin/env bash
# A worker whose costs came from a probe in a slow spell measures its model again (README, "Admission by cost"). Starts
# the jar with MODEL_DIR as its bundled model (as scripts/bench-service.sh starts it) on a fresh cost cache, waits for
# its probe and stops it; multiplies the kept UNet times by FACTOR, as a probe in one of the machine's slow spells
# measures them; starts it again on that cache and sends requests one at a time (PX px, STEPS steps of DDIM): first
# REQUESTS, then, once the worker has been idle, one every GAP seconds while it measures again, then REQUESTS more.
# Prints per phase the UNet call predicted by the costs in use against the one measured (the service's metrics), the
# `slowdown` GET /models shows and each request's time; then what the log said. For BENCHMARKS.md; not a test.
#
#   scripts/bench-remeasure.sh [MODEL_DIR=src/main/models/shapes]
#   env: FACTOR (1.6), PX (128), STEPS (20), REQUESTS (4), GAP (2), PORT (18084)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-service.sh
MODEL_DIR=${1:-src/main/models/shapes}
FACTOR=${FACTOR:-1.6} PX=${PX:-128} STEPS=${STEPS:-20} REQUESTS=${REQUESTS:-4} GAP=${GAP:-2} PORT=${PORT:-18084}
PYTHON=${PYTHON:-/usr/bin/python3}
cache=target/bench-remeasure-costs
log=target/bench-remeasure.log
rm -rf "$cache"
url=http://localhost:$PORT
model=$(basename "$MODEL_DIR")

await_log() {  # a line of the log, for up to 10 minutes
    local waited=0
    until grep -q "$1" "$log"; do
        if ((waited++ > 1200)); then
            echo "no \"$1\" in $log after 10 minutes" >&2
            exit 1
        fi
        sleep 0.5
    done
}
request() {  # prints the request's seconds
    curl -sf -o /dev/null -w '%{time_total}\n' -X POST "$url/generate?wait=true" -H 'Accept: image/png' \
        -H 'Content-Type: application/json' -d "{\"prompt\": \"a red circle\", \"width\": $PX, \"height\": $PX,
        \"steps\": $STEPS, \"scheduler\": \"ddim\", \"seed\": $1}"
}
slowdown() { curl -sf "$url/models" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[0]["allowed_sizes"]["slowdown"])'; }
# the UNet call a guided image at PX px makes, as the kept costs predict it (CallCost.estimate)
predicted() {
    "$PYTHON" - "$cache" "$MODEL_DIR" "$PX" <<'PY'
import glob, json, sys
cache, model_dir, px = sys.argv[1], sys.argv[2], int(sys.argv[3])
[path] = glob.glob(cache + "/*.json")
cost = json.load(open(path))["costs"]["unetSeconds"]
side = px // json.load(open(model_dir + "/model_index.json"))["vae_scale_factor"]
rows, area = 2, side * side
q = cost.get("rowsExponent") or 1
seconds = (cost["fixed"] + rows ** q * (cost.get("perRow", 0) + cost["perArea"] * area)
           + rows * cost["perAreaSquared"] * area * area)
if cost["parallelFrom"] > 0 and rows * area >= cost["parallelFrom"]:
    seconds *= cost["parallelFactor"]
print(f"{seconds:.4f}")
PY
}
phase() {  # name, then the seeds of its requests
    local name=$1 before after times=()
    shift
    before=$(unet_seconds "$url")
    for seed in "$@"; do
        times+=("$(request "$seed")")
        [[ $name != *during* ]] || sleep "$GAP"
    done
    after=$(unet_seconds "$url")
    if [[ $name == *during* ]]; then  # the probe's own calls are in the metrics then
        echo "$name: request seconds: ${times[*]}"
        return
    fi
    echo "$name: UNet call predicted $(predicted) s, measured $(awk -v b="$before" -v a="$after" 'BEGIN {
        split(b, x, " "); split(a, y, " "); printf "%.4f", (y[1] - x[1]) / (y[2] - x[2]) }') s;" \
        "slowdown shown $(slowdown); request seconds: ${times[*]}"
}

machine_line
start_service "$PORT" "$log" --diffusion.limits.cost-cache-dir="$cache"
await_log "measured on"
stop_services
SERVICES=()
"$PYTHON" - "$cache" "$FACTOR" <<'PY'
import glob, json, sys
[path] = glob.glob(sys.argv[1] + "/*.json")
entry = json.load(open(path))
for term in ("fixed", "perRow", "perArea", "perAreaSquared"):
    entry["costs"]["unetSeconds"][term] *= float(sys.argv[2])
json.dump(entry, open(path, "w"))
PY
echo "$MODEL_DIR at $PX px, $STEPS steps; the kept UNet times multiplied by $FACTOR"

start_service "$PORT" "$log" --diffusion.limits.cost-cache-dir="$cache"
await_log "costs as measured at an earlier start"
phase "on the inflated costs" $(seq 1 "$REQUESTS")
sleep 2  # the worker measures again after a second without a job
phase "one request every $GAP s during the measurement" $(seq 101 110)
await_log "measured again"
phase "on the costs measured again" $(seq 201 $((200 + REQUESTS)))
grep -o 'model .* measured again .*: a guided .*s, was [0-9.]* s.*[a-z]' "$log" | sed 's/: ModelCosts.*//'
