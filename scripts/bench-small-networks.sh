#!/usr/bin/env bash
# An image's calls outside the UNet, the service's libtorch against torch 1.13 on the same TorchScript files: the text
# encoder's call of two rows and the decoder's call of one image at PX pixels, one thread each, both on the same vCPU
# (VCPU, default 1), the loop's allocator settings as in scripts/bench-sizes.sh. Prints medians and least times of 50
# calls in 3 rounds per side. For BENCHMARKS.md ("Real sizes"); not a test.
#
#   scripts/bench-small-networks.sh [MODEL_DIR=src/main/models/shapes] [PX=64]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-service.sh
MODEL_DIR=${1:-src/main/models/shapes} PX=${2:-64} VCPU=${VCPU:-1}
PYTHON=${PYTHON:-/usr/bin/python3}
machine_line
echo "$MODEL_DIR, $PX px, both sides on vCPU $VCPU"
taskset -c -p "$VCPU" $$ >/dev/null  # this shell, and so every program it starts
(export "${SERVICE_ENV[@]}"; run_bench_program SmallNetworkCost "$MODEL_DIR" "$PX" 2>/dev/null | grep '^service')
MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=0 \
    "$PYTHON" - "$MODEL_DIR" "$PX" <<'PY'
import json, os, sys, time
import torch
model_dir, px = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(1)
index = json.load(open(os.path.join(model_dir, "model_index.json")))
text_encoder = torch.jit.load(os.path.join(model_dir, "text_encoder", "model.pt"))
decoder = torch.jit.load(os.path.join(model_dir, "vae_decoder", "model.pt"))
side = px // index["vae_scale_factor"]
ids = torch.zeros(2, index.get("max_text_length", 77), dtype=torch.long)
with torch.no_grad():
    for round in range(1, 4):
        text, decoded = [], []
        for call in range(-20, 50):
            latents = torch.randn(1, index["latent_channels"], side, side)
            began = time.perf_counter()
            text_encoder(ids)
            encoded = time.perf_counter()
            decoder(latents)
            if call >= 0:
                text.append((encoded - began) * 1e3)
                decoded.append((time.perf_counter() - encoded) * 1e3)
        text.sort()
        decoded.sort()
        print(f"torch {torch.__version__}, round {round}: text encoder (2 rows) {text[25]:.2f} ms (least {text[0]:.2f}),"
              f" decoder (1 image, {px} px) {decoded[25]:.2f} ms (least {decoded[0]:.2f})")
PY
