#!/usr/bin/env bash
# One command for a GPU machine: ci/gpu/run.sh OUTDIR [TRAIN_SECONDS]   (ci/gpu/README.md)
#
# Run from the repository root on a machine with python3's torch (the CUDA LibTorch it ships is
# what the suite links), a C++ compiler, CMake and ninja, but no apt and no network, with the .debs
# that ci/gpu/prepare.sh fetched beside it (DEBS=.debs). It
#   1. unpacks the .debs into $DEPS (default /tmp/dti-deps; nothing is written outside it),
#   2. configures and builds every target (runexp, all tests, dti_bench) in $BUILD_DIR,
#   3. runs the tests with CTest (all of them by default, *_CUDA ones included),
#   4. runs dti_bench on the GPU (DTI_BENCH_DEVICE=cuda) into OUTDIR/bench.json,
#   5. trains `runexp train --config tetrominoes --device cuda` for about TRAIN_SECONDS (default 120)
#      on generated Tetrominoes (training.max_iterations from the benchmark's speed) and evaluates,
#   6. compares (ci/gpu/compare.py): the authors' training step from .ref/ (prepare.sh --ref) beside
#      ours, training.precision fp32/tf32/bf16, and five seeds at once against one (compare.md),
#   7. writes OUTDIR/summary.json and OUTDIR/summary.md (rewritten after each step, so that a run cut
#      short still leaves what it did), beside build.log, ctest.log, bench.log and train.log.
# Without a GPU (no nvidia-smi, or torch sees no CUDA device) the same steps run on the CPU with
# the CUDA tests skipped and a short benchmark; that is how it is tested on a build machine.
# Knobs (environment): DTI_GPU_TESTS=all|fast|none or a CTest label regex (default all; fast =
# labels unit and golden), DTI_GPU_BENCH_FILTER (a --benchmark_filter regex; default every
# benchmark on a GPU, BM_TrainStep/0/ (Tetrominoes training) on a CPU),
# PYTHON (default python3), DTI_TORCH_PREFIX (TorchConfig's prefix, default from PYTHON's torch),
# DTI_GPU_DEVICE=cuda|cpu (default: cuda when available), DEBS, DEPS, BUILD_DIR (default build-gpu),
# DTI_GPU_COMPARE=0 (skips step 6), DTI_REF (the authors' code and ref_perf.py, default .ref).
# Exit status: 0 when every step that ran succeeded, 1 otherwise (summary.json says which).
set -uo pipefail
usage() { sed -n '2p' "$0" | sed 's/^# //' >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
case "$1" in -h|--help) usage ;; esac
OUT=$(mkdir -p "$1" && cd "$1" && pwd) || { echo "run.sh: cannot create $1" >&2; exit 2; }
TRAIN_SECONDS=${2:-120}
[[ "$TRAIN_SECONDS" =~ ^[0-9]+$ ]] || usage
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
DEBS=${DEBS:-.debs}
DEPS=${DEPS:-/tmp/dti-deps}
BUILD_DIR=${BUILD_DIR:-build-gpu}
TESTS=${DTI_GPU_TESTS:-all}
JOBS=$(nproc)
WORK=$ROOT/$BUILD_DIR/gpu-run         # data, training output and the step record
STATE=$WORK/steps.tsv
mkdir -p "$WORK"
: >"$STATE"
T0=$(date +%s)

note() { echo "run.sh [$(($(date +%s) - T0)) s] $*" >&2; }
record() { printf '%s\t%s\n' "$1" "$2" >>"$STATE"; }   # key, value (for summarize.py)
summarize() {
  "$PYTHON" "$ROOT/ci/gpu/summarize.py" --state "$STATE" --out "$OUT" \
    --train-seconds "$TRAIN_SECONDS" || note "summarize.py failed"
}
# step NAME COMMAND...: runs it, records status and seconds, rewrites the summary.
failed=0
step() {
  local name=$1; shift
  local start rc
  start=$(date +%s)
  note "$name: $*"
  "$@"
  rc=$?
  record "step.$name" "$rc $(($(date +%s) - start))"
  [ "$rc" = 0 ] || { failed=1; note "$name failed (exit $rc)"; }
  summarize
  return "$rc"
}

# ---- 0. the machine
torch_info=$("$PYTHON" - <<'EOF' 2>/dev/null
import warnings; warnings.simplefilter("ignore")
import torch
cuda = torch.cuda.is_available()
print(torch.__version__, torch.version.cuda or "none", int(cuda),
      torch.cuda.get_device_name(0).replace(" ", "_") if cuda else "none",
      torch.utils.cmake_prefix_path)
EOF
)
read -r torch_version torch_cuda cuda_ok gpu_name torch_prefix <<<"${torch_info:-? ? 0 none ?}"
TORCH_PREFIX=${DTI_TORCH_PREFIX:-$torch_prefix}
# A CUDA LibTorch's CMake files look for the CUDA toolkit through nvcc.
command -v nvcc >/dev/null || [ ! -x /usr/local/cuda/bin/nvcc ] || export PATH=/usr/local/cuda/bin:$PATH
DEVICE=${DTI_GPU_DEVICE:-}
if [ -z "$DEVICE" ]; then
  DEVICE=cpu
  command -v nvidia-smi >/dev/null && [ "$cuda_ok" = 1 ] && DEVICE=cuda
fi
record torch_version "$torch_version"
record torch_cuda "$torch_cuda"
record gpu "${gpu_name//_/ }"
record device "$DEVICE"
record cores "$JOBS"
record host "$(uname -srm)"
record glibc "$(ldd --version 2>/dev/null | head -1)"
record compiler "$(c++ --version 2>/dev/null | head -1)"
record cmake "$(cmake --version 2>/dev/null | head -1)"
record git "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
command -v nvidia-smi >/dev/null && record nvidia_smi "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
note "torch $torch_version (CUDA $torch_cuda), device $DEVICE ($gpu_name), $JOBS cores, out $OUT"
[ -f "$TORCH_PREFIX/Torch/TorchConfig.cmake" ] || { note "no TorchConfig.cmake under '$TORCH_PREFIX' (set PYTHON or DTI_TORCH_PREFIX)"; record error "no LibTorch"; summarize; exit 1; }

# ---- 1. dependencies from the carried .debs
unpack_debs() {
  rm -rf "$DEPS" && mkdir -p "$DEPS/bin" || return 1
  if command -v dpkg-deb >/dev/null; then
    printf '%s\0' "$ROOT/$DEBS"/*.deb | xargs -0 -n 1 -P "$JOBS" sh -c 'dpkg-deb -x "$1" "$0"' "$DEPS" ||
      return 1
  else  # no dpkg: a .deb is an ar archive holding data.tar.xz, which Python's tarfile reads
    "$PYTHON" - "$DEPS" "$ROOT/$DEBS"/*.deb <<'EOF' || return 1
import io, sys, tarfile
for deb in sys.argv[2:]:
    with open(deb, "rb") as f:
        data = f.read()
    if data[:8] != b"!<arch>\n":
        sys.exit(f"{deb}: not a .deb")
    pos = 8
    while pos + 60 <= len(data):
        name, size = data[pos:pos + 16].decode().strip().rstrip("/"), int(data[pos + 48:pos + 58])
        body, pos = data[pos + 60:pos + 60 + size], pos + 60 + size + (size & 1)
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as t:
                trusted = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
                t.extractall(sys.argv[1], **trusted)
EOF
  fi
  local lib=$DEPS/usr/lib/x86_64-linux-gnu
  # Absolute links inside the packages (the -dev .so links of a few) must point into $DEPS.
  find "$DEPS" -type l | while read -r l; do
    t=$(readlink "$l"); case "$t" in /*) ln -sfn "$DEPS$t" "$l" ;; esac
  done
  # Debian's alternatives would name HDF5's serial flavour as plain libhdf5.
  [ -e "$lib/libhdf5.so" ] || ln -s hdf5/serial/libhdf5.so "$lib/libhdf5.so"
  # The carried programs find their libraries through wrappers.
  local libs=$lib:$DEPS/lib/x86_64-linux-gnu
  printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$libs" "$DEPS/usr/bin/protoc" >"$DEPS/bin/protoc"
  printf '#!/bin/sh\nPKG_CONFIG_SYSROOT_DIR=%s PKG_CONFIG_LIBDIR=%s LD_LIBRARY_PATH=%s exec %s "$@"\n' \
    "$DEPS" "$lib/pkgconfig:$DEPS/usr/share/pkgconfig" "$libs" "$DEPS/usr/bin/pkgconf" >"$DEPS/bin/pkg-config"
  chmod +x "$DEPS/bin/protoc" "$DEPS/bin/pkg-config"
}
cmake_deps=()
RUN_LIBS=""
if compgen -G "$ROOT/$DEBS/*.deb" >/dev/null; then
  step deps unpack_debs || { summarize; exit 1; }
  lib=$DEPS/usr/lib/x86_64-linux-gnu
  RUN_LIBS="$lib:$lib/hdf5/serial:$DEPS/lib/x86_64-linux-gnu"
  cmake_deps=(
    "-DCMAKE_PREFIX_PATH=$TORCH_PREFIX;$DEPS/usr"
    "-DDTI_GTEST_SOURCE_DIR=$DEPS/usr/src/googletest"
    "-DPKG_CONFIG_EXECUTABLE=$DEPS/bin/pkg-config"
    "-DProtobuf_PROTOC_EXECUTABLE=$DEPS/bin/protoc"
    "-DHDF5_C_COMPILER_EXECUTABLE=HDF5_C_COMPILER_EXECUTABLE-NOTFOUND"
    "-DHDF5_INCLUDE_DIRS=$DEPS/usr/include/hdf5/serial"
    "-DHDF5_C_INCLUDE_DIR=$DEPS/usr/include/hdf5/serial"
    "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$RUN_LIBS"  # the carried libraries' own ones
  )
else
  note "no .debs in $DEBS: using the machine's own packages"
  cmake_deps=("-DCMAKE_PREFIX_PATH=$TORCH_PREFIX")
fi
with_libs() { LD_LIBRARY_PATH="$RUN_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }

# ---- 2. build everything
build() {
  {
    cmake -S "$ROOT" -B "$ROOT/$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_deps[@]}" &&
      cmake --build "$ROOT/$BUILD_DIR" -j "$JOBS"
  } >"$OUT/build.log" 2>&1
  local rc=$?
  [ $rc = 0 ] || tail -40 "$OUT/build.log" >&2
  return $rc
}
step build build || { summarize; exit 1; }

# ---- 3. tests
tests() {
  local select=()
  case "$TESTS" in
    all) ;;
    fast) select=(-L 'unit|golden') ;;
    *) select=(-L "$TESTS") ;;
  esac
  with_libs ctest --test-dir "$ROOT/$BUILD_DIR" --output-on-failure --no-tests=error -j "$JOBS" \
    "${select[@]}" >"$OUT/ctest.log" 2>&1
  local rc=$?
  tail -25 "$OUT/ctest.log" >&2
  return $rc
}
[ "$TESTS" = none ] || step tests tests

# ---- 4. benchmark on the device
bench() {
  local filter=${DTI_GPU_BENCH_FILTER:-}
  [ -n "$filter" ] || { [ "$DEVICE" = cuda ] && filter=. || filter='BM_TrainStep/0/'; }
  DTI_BENCH_DEVICE=$DEVICE with_libs "$ROOT/$BUILD_DIR/bench/dti_bench" \
    --benchmark_filter="$filter" --benchmark_out="$OUT/bench.json" \
    --benchmark_out_format=json >"$OUT/bench.log" 2>&1
  local rc=$?
  tail -20 "$OUT/bench.log" >&2
  return $rc
}
step bench bench

# ---- 5. training for about TRAIN_SECONDS
train() {
  # Iterations that fill the time at the benchmark's Tetrominoes training speed (the slower of a
  # fresh and a fully active model), less the time data generation and evaluation take.
  local rate iterations
  rate=$("$PYTHON" "$ROOT/ci/gpu/summarize.py" --train-rate "$OUT/bench.json" 2>/dev/null)
  [ -n "$rate" ] || rate=$([ "$DEVICE" = cuda ] && echo 1000 || echo 100)
  iterations=$("$PYTHON" -c "print(max(1, int(max(0, $TRAIN_SECONDS - 20) * $rate / 32)))")
  rm -rf "$WORK/out"  # a fresh run each time (the generated data stay)
  record train_rate_img_s "$rate"
  record train_iterations "$iterations"
  note "train: $iterations iterations of 32 images at ~$rate img/s"
  (cd "$WORK" && with_libs timeout --kill-after=30 $((TRAIN_SECONDS * 2 + 300)) \
    "$ROOT/$BUILD_DIR/experiments/runexp" train --config tetrominoes --device "$DEVICE" \
    --out "$WORK/out" --data-dir "$WORK/data" --set "training.max_iterations=$iterations" \
    --set training.train_stat_interval=$((iterations / 20 + 1))) \
    >"$OUT/train.log" 2>&1
  local rc=$?
  tail -5 "$OUT/train.log" >&2
  return $rc
}
[ "$TRAIN_SECONDS" = 0 ] || step train train

# ---- 6. side by side: the authors' training step, precision options, five seeds at once
compare() {
  local quick=()
  [ "$DEVICE" = cuda ] || quick=(--quick)  # on a build machine: checks the script, tiny sizes
  (cd "$WORK" && with_libs timeout --kill-after=30 900 "$PYTHON" "$ROOT/ci/gpu/compare.py" \
    --runexp "$ROOT/$BUILD_DIR/experiments/runexp" --bench "$ROOT/$BUILD_DIR/bench/dti_bench" \
    --work "$WORK" --out "$OUT" --device "$DEVICE" --ref "${DTI_REF:-$ROOT/.ref}" "${quick[@]}") \
    >"$OUT/compare.log" 2>&1
  local rc=$?
  tail -30 "$OUT/compare.log" >&2
  return $rc
}
[ "${DTI_GPU_COMPARE:-1}" = 0 ] || step compare compare

record total_seconds "$(($(date +%s) - T0))"
summarize
note "done in $(($(date +%s) - T0)) s: $OUT/summary.md"
exit "$failed"
