#!/usr/bin/env bash
# Run THERE (the GPU machine, from the repository root, with .debs carried): unpacks the Debian
# packages into /tmp/dti-deps, builds the core library, its tests and the benchmark against the
# CUDA LibTorch of the machine's Python torch, runs the tests (GPU tests included) and the
# benchmark on the GPU, and leaves their output in ${OUT:-out-gpu}.
# Only core/bench are built: the other libraries need more Debian packages than are worth carrying.
# GoogleTest is compiled from source here so that it matches torch's C++ ABI setting; Google
# Benchmark is used as Debian built it, which links only when torch uses the new C++ ABI.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-out-gpu}
DEPS=/tmp/dti-deps
mkdir -p "$DEPS" "$OUT"
for deb in .debs/*.deb; do dpkg -x "$deb" "$DEPS"; done
export LD_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu:$DEPS/usr/lib/x86_64-linux-gnu/hdf5/serial:${LD_LIBRARY_PATH:-}"
TORCH_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
ABI=$(python3 -c 'import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))' | tee "$OUT/device.txt"
nvidia-smi | tee -a "$OUT/device.txt"
bench=ON
[ "$ABI" = "1" ] || bench=OFF
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$DEPS/usr" \
  -DDTI_ONLY="core$( [ $bench = ON ] && echo ';bench')" \
  -DDTI_GTEST_SOURCE_DIR="$DEPS/usr/src/googletest" \
  -DHDF5_C_INCLUDE_DIR="$DEPS/usr/include/hdf5/serial" \
  -DHDF5_C_LIBRARY_hdf5="$DEPS/usr/lib/x86_64-linux-gnu/hdf5/serial/libhdf5.so" 2>&1 | tee "$OUT/configure.log"
cmake --build build-cuda -j "$(nproc)" 2>&1 | tail -20 | tee "$OUT/build.log"
ctest --test-dir build-cuda --output-on-failure 2>&1 | tee "$OUT/ctest.log"
if [ $bench = ON ]; then
  DTI_BENCH_DEVICE=cuda build-cuda/bench/dti_bench --benchmark_format=json \
    --benchmark_out="$OUT/bench-cuda.json" --benchmark_out_format=json | tee "$OUT/bench.log"
fi
