#!/usr/bin/env bash
# Configures and builds the suite (Release, Ninja). Extra arguments go to cmake.
#   ci/build.sh                  # Debian's LibTorch 1.13 (CPU), in ./build
#   ci/build.sh --torch cuda     # PyPI's torch 2.11 (CUDA 13; ci/install-torch.sh), in ./build-cuda
#   ci/build.sh --torch PREFIX   # any other LibTorch: the folder holding TorchConfig.cmake's
#                                # share/cmake (or libtorch/), in ./build-torch
# BUILD_DIR overrides the folder. The CUDA build needs the CUDA toolkit (nvcc) to configure but no
# GPU to build or to run the tests (CUDA tests skip without one).
set -euo pipefail
cd "$(dirname "$0")/.."
torch=debian
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --torch) torch=${2:?--torch needs debian, cuda or a prefix}; shift 2 ;;
    --torch=*) torch=${1#--torch=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$torch" in
  debian)
    BUILD_DIR=${BUILD_DIR:-build} ;;
  cuda)
    BUILD_DIR=${BUILD_DIR:-build-cuda}
    prefix=$(ci/install-torch.sh | tail -1)
    args=("-DCMAKE_PREFIX_PATH=$prefix" "${args[@]}") ;;
  *)
    [ -d "$torch" ] || { echo "build.sh: --torch $torch: not debian, cuda or a folder" >&2; exit 2; }
    BUILD_DIR=${BUILD_DIR:-build-torch}
    args=("-DCMAKE_PREFIX_PATH=$(cd "$torch" && pwd)" "${args[@]}") ;;
esac
if [ "$torch" != debian ] && ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH  # a CUDA LibTorch's CMake files look for the toolkit
fi
echo "build.sh: LibTorch '$torch' into $BUILD_DIR"
start=$(date +%s)
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "${args[@]}"
# DTI_BUILD_TARGETS (space-separated) builds only those targets, e.g. one test executable.
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "${DTI_BUILD_JOBS:-$(nproc)}" ${DTI_BUILD_TARGETS:+--target $DTI_BUILD_TARGETS}
echo "build.sh: $BUILD_DIR built in $(($(date +%s) - start)) s"
