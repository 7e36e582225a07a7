#!/usr/bin/env bash
# Packs what the GPU check needs from this machine into device-bundle/ (git-ignored, < 64 MiB):
# the CUDA build's binaries (stripped) and the shared libraries they load that are neither the
# GPU machine's own torch/CUDA/NCCL libraries (it has torch 2.11.0+cu130, the wheel build-cuda/ was
# built against) nor glibc/libstdc++ (the machine's are newer). Build first:
#
#   scripts/setup.sh --cuda            # deps/torch-cu130 + build-cuda/
#   scripts/device/bundle.sh           # -> device-bundle/{bin,lib}
#   # then, with the device tool: run scripts/device/gpu_check.sh, carry ["device-bundle"]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build-cuda}
OUT=device-bundle
BINS=(bertology bench_forward bench_mc_train device_check)
for b in "${BINS[@]}"; do
  [ -x "$BUILD/$b" ] || { echo "bundle.sh: $BUILD/$b missing (scripts/setup.sh --cuda, or cmake --build $BUILD)" >&2; exit 2; }
done
grep -q '^BERTOLOGY_CUDA:STRING=ON' "$BUILD/CMakeCache.txt" 2>/dev/null ||
  { echo "bundle.sh: $BUILD is not a CUDA build (BERTOLOGY_CUDA=ON): scripts/setup.sh --cuda builds build-cuda/" >&2; exit 2; }
if for b in "${BINS[@]}"; do ldd "$BUILD/$b"; done | grep -q "not found"; then
  echo "bundle.sh: a library of $BUILD's binaries is not found here (ldd says 'not found')" >&2; exit 2
fi
rm -rf "$OUT"; mkdir -p "$OUT/bin" "$OUT/lib"
for b in "${BINS[@]}"; do
  strip --strip-unneeded -o "$OUT/bin/$b" "$BUILD/$b"
done
# Libraries: everything ldd resolves, minus torch's and CUDA's (the machine brings its own) and
# the C runtime (the machine's is newer; an older copy first on the path would break its torch).
skip='/deps/torch-cu130/|/usr/local/cuda|/nvidia/|libresolv|libutil\.so|libc\.so|libm\.so|libdl\.so|librt\.so|libpthread\.so|ld-linux|libstdc\+\+|libgcc_s|libcuda\.so|linux-vdso'
for b in "${BINS[@]}"; do ldd "$BUILD/$b"; done | awk '/=> \// {print $3}' | sort -u | grep -Ev "$skip" | while read -r lib; do
  cp -L "$lib" "$OUT/lib/"
done
strip --strip-unneeded "$OUT"/lib/*.so* 2>/dev/null || true
echo "bundle.sh: $(du -sh "$OUT" | cut -f1) in $OUT ($(ls "$OUT/lib" | wc -l) libraries)" >&2
du -sb "$OUT" | awk '{ if ($1 > 60 * 1048576) { print "bundle.sh: over 60 MiB, the device tool carries at most 64 MiB with the tree" > "/dev/stderr"; exit 1 } }'
