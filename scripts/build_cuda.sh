#!/usr/bin/env bash
# Builds the harness against a CUDA LibTorch into ./build-cuda (README "CUDA build").
#
# Which LibTorch, first that applies:
#   1. HARNESS_TORCH_PREFIX=<dir>: a torch/ folder or torch.utils.cmake_prefix_path;
#   2. the torch of `python3` when it is built with CUDA (torch.utils.cmake_prefix_path);
#   3. the PyPI wheel torch==$TORCH_VERSION (default 2.11.0, built for CUDA 13.0), fetched with
#      `pip download --no-deps` into $TORCH_CACHE (default .cache/torch-wheel, git-ignored) and unpacked
#      there (torch/include, torch/lib, torch/share). Nothing is installed, no dependency is fetched.
# Needs nvcc ($CUDACXX, else nvcc on PATH, else /usr/local/cuda/bin/nvcc). Extra arguments go to
# cmake's configure step. BUILD_DIR, JOBS and TARGETS (space-separated; default: everything) as in
# scripts/build.sh.
#
# A wheel's libtorch_cuda.so needs the CUDA libraries of the pip packages nvidia-* (cuDNN, cuSPARSELt,
# NCCL, NVSHMEM, cuFile, ...). Those that this machine lacks are listed, and the link then uses
# -Wl,--allow-shlib-undefined (and GoogleTest's test lists are read at ctest time): the binaries link, but
# cannot run here. On a machine with pip's torch
# installed, its nvidia-* packages are found through libtorch's RPATH and nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build-cuda}"
TORCH_VERSION="${TORCH_VERSION:-2.11.0}"
TORCH_CACHE="${TORCH_CACHE:-.cache/torch-wheel}"
PYTHON="${PYTHON:-python3}"

prefix="${HARNESS_TORCH_PREFIX:-}"
if [ -z "$prefix" ] && command -v "$PYTHON" >/dev/null &&
   "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.version.cuda else 1)' 2>/dev/null; then
  prefix="$("$PYTHON" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')"
  echo "build_cuda: LibTorch of $PYTHON's torch: $prefix" >&2
fi
if [ -z "$prefix" ]; then
  mkdir -p "$TORCH_CACHE"
  unpacked="$TORCH_CACHE/unpacked"  # one unpacked wheel; .complete names it
  wheel="$(ls "$TORCH_CACHE"/torch-"$TORCH_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
  if [ -z "$wheel" ]; then
    echo "build_cuda: downloading torch==$TORCH_VERSION (about 530 MB) into $TORCH_CACHE" >&2
    "$PYTHON" -m pip download --no-deps --only-binary=:all: "torch==$TORCH_VERSION" -d "$TORCH_CACHE" >&2
    wheel="$(ls "$TORCH_CACHE"/torch-"$TORCH_VERSION"-*.whl | head -n 1)"
  fi
  if [ "$(cat "$unpacked/.complete" 2>/dev/null)" != "$(basename "$wheel")" ]; then
    # The CUDA it targets: the nvidia/cuda requirements in the wheel's METADATA.
    unzip -p "$wheel" "torch-$TORCH_VERSION.dist-info/METADATA" | grep -E '^Requires-Dist: (nvidia|cuda)' >&2 ||
      { echo "build_cuda: $wheel requires no CUDA packages: not a CUDA build" >&2; exit 1; }
    rm -rf "$unpacked"
    mkdir -p "$unpacked"
    unzip -q "$wheel" 'torch/include/*' 'torch/lib/*' 'torch/share/*' 'torch/version.py' -d "$unpacked"
    basename "$wheel" >"$unpacked/.complete"
  fi
  prefix="$(cd "$unpacked/torch" && pwd)"
  echo "build_cuda: LibTorch of the wheel: $prefix ($(grep -E '^(__version__|cuda)' "$prefix/version.py" | tr '\n' ' '))" >&2
fi

nvcc="${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
[ -x "$nvcc" ] || { echo "build_cuda: nvcc not found (set CUDACXX)" >&2; exit 1; }

# The torch folder (lib/ beside share/), whichever form the prefix had.
torch_root="$prefix"
[ -d "$torch_root/lib" ] || torch_root="$(cd "$prefix/../.." && pwd)"
# Shared libraries the torch libraries need that neither the loader's cache, nor torch/lib, nor the CUDA
# toolkit, nor pip's nvidia-* folders (libtorch's RPATH) provide. libcuda.so.1 (the driver) is only
# needed by libcaffe2_nvrtc, which nothing here links.
cuda_lib="$(cd "$(dirname "$nvcc")/.." && pwd)/lib64"
known="$(ldconfig -p 2>/dev/null | awk 'NR > 1 {print $1}')"
missing=()
for needed in $(for so in "$torch_root"/lib/libtorch*.so "$torch_root"/lib/libc10*.so; do
                  readelf -d "$so" | awk '/NEEDED/ {gsub(/[][]/, "", $5); print $5}'
                done | sort -u); do
  [ "$needed" = libcuda.so.1 ] && continue
  if [ -e "$torch_root/lib/$needed" ] || [ -e "$cuda_lib/$needed" ] || grep -qxF "$needed" <<<"$known" ||
     compgen -G "$torch_root/../nvidia/*/lib/$needed" >/dev/null; then
    continue
  fi
  missing+=("$needed")
done
link_flags=()
if [ "${#missing[@]}" -gt 0 ]; then
  echo "build_cuda: not on this machine (pip's nvidia-* packages): ${missing[*]}; linking with" \
       "-Wl,--allow-shlib-undefined (the binaries cannot run here)" >&2
  # The test binaries cannot run here either: list their tests when ctest runs, not after each link.
  link_flags=(-DCMAKE_EXE_LINKER_FLAGS=-Wl,--allow-shlib-undefined -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST)
else
  link_flags=(-DCMAKE_EXE_LINKER_FLAGS= -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=POST_BUILD)
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHARNESS_CUDA=ON \
  -DHARNESS_TORCH_PREFIX="$prefix" -DCMAKE_CUDA_COMPILER="$nvcc" "${link_flags[@]}" "$@" >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" ${TARGETS:+--target $TARGETS}
