#!/bin/bash
# Rebuilds the diffusers parity fixtures in src/test/resources/parity (DiffusersParityTest): tiny SD 1.x, SD 2.x and
# SDXL pipelines from diffusers' and transformers' own classes (build_fixtures.py), a tiny guidance-distilled SD 1.x
# for LCM and TCD (build_lcm_fixture.py) and a tiny SD 1.x inpainting checkpoint (9-channel UNet; its references and
# the ordinary SD 1.x's through diffusers' inpainting pipeline: build_inpaint_fixture.py, which needs the SD 1.x folder
# of build_fixtures.py), exported with src/training/export_diffusers.py, and the reference images of diffusers' own
# pipelines. Tokenizer files equal to the bundled model's are written as relative links to it.
#
#   src/training/parity/make_fixtures.sh ENV_DIR WHEELS DIFFUSERS_GIT HUB_GIT [options]
#   src/training/parity/make_fixtures.sh ENV_DIR - - - [options]    (ENV_DIR already prepared by an earlier run)
#
# ENV_DIR   scratch folder for the Python environment (made once, reused)
# WHEELS    folder(s) of wheels, colon-separated: transformers 4.57.6, tokenizers 0.22.2, safetensors, scipy 1.10.1
#           (LMS), regex, tqdm, packaging, filelock, fsspec, importlib_metadata, zipp
# DIFFUSERS_GIT, HUB_GIT  git directories of huggingface/diffusers and huggingface/huggingface_hub; the tags
#           v0.30.3 and v0.35.3 are taken (diffusers 0.30 is the last release that runs on torch 1.13)
# Python is Debian's python3 with python3-torch 1.13, python3-numpy and python3-pil (PYTHON to use another).
# Default options: --out src/test/resources/parity (all fixtures). BUILDERS (default "build_fixtures.py
# build_lcm_fixture.py build_inpaint_fixture.py") are the scripts run, each with the options; e.g.
# BUILDERS=build_fixtures.py with --only sd15. BUILDERS=" " (a blank) only prepares ENV_DIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
ENV_DIR=${1:?ENV_DIR}
WHEELS=${2:?WHEELS or -}
DIFFUSERS_GIT=${3:?DIFFUSERS_GIT or -}
HUB_GIT=${4:?HUB_GIT or -}
shift 4
PYTHON=${PYTHON:-/usr/bin/python3}
DIFFUSERS_TAG=v0.30.3
HUB_TAG=v0.35.3

wheel() {  # the newest wheel named $1 (a name prefix with its version, e.g. transformers-4.57.6) in $WHEELS
    local found
    found=$(IFS=:; for dir in $WHEELS; do ls "$dir"/"$1"*.whl 2>/dev/null; done | sort -V | tail -1)
    [ -n "$found" ] || { echo "no wheel $1* in $WHEELS" >&2; exit 1; }
    echo "$found"
}

if [ "$WHEELS" != "-" ]; then
    rm -rf "$ENV_DIR" && mkdir -p "$ENV_DIR/site" "$ENV_DIR/src" "$ENV_DIR/meta"
    for name in transformers-4.57.6 tokenizers-0.22.2 safetensors-0.8 scipy-1.10.1 regex- tqdm- packaging- \
                filelock- fsspec- importlib_metadata- zipp-; do
        (cd "$ENV_DIR/site" && unzip -q -o "$(wheel "$name")")
    done
    git --git-dir="$DIFFUSERS_GIT" archive "$DIFFUSERS_TAG" src/diffusers | tar -x --strip-components=1 -C "$ENV_DIR/src"
    git --git-dir="$HUB_GIT" archive "$HUB_TAG" src/huggingface_hub | tar -x --strip-components=1 -C "$ENV_DIR/src"
    # package metadata, so that version checks find the packages taken from git
    for name_version in diffusers:${DIFFUSERS_TAG#v} huggingface_hub:${HUB_TAG#v}; do
        name=${name_version%%:*} version=${name_version##*:}
        mkdir -p "$ENV_DIR/meta/$name-$version.dist-info"
        printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "$name" "$version" \
            > "$ENV_DIR/meta/$name-$version.dist-info/METADATA"
    done
    "$PYTHON" "$HERE/torch113/patch_transformers.py" "$ENV_DIR/site"
fi

export PYTHONPATH=$HERE/torch113:$ENV_DIR/meta:$ENV_DIR/site:$ENV_DIR/src
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DIFFUSERS_OFFLINE=1 HF_HOME=$ENV_DIR/hf_home
export TOKENIZERS_PARALLELISM=false PYTHONDONTWRITEBYTECODE=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# glibc handing torch's large buffers back to the kernel made runs several times slower from one run to the next
export MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000
if [ $# -eq 0 ]; then
    set -- --out "$REPO/src/test/resources/parity"
fi
for builder in ${BUILDERS:-build_fixtures.py build_lcm_fixture.py build_inpaint_fixture.py}; do
    "$PYTHON" "$HERE/$builder" "$@"
done
