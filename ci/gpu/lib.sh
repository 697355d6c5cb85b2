# shellcheck shell=bash
# shellcheck disable=SC2034  # failed, TORCH_LIB and the like are read by run.sh
# The machinery of ci/gpu/run.sh (sourced by it): the plan and its time boxes, the step record,
# the summary and the log tarball, the machine's facts, the carried .debs and the build.
# Expects ROOT, PART, OUT, BUILD_DIR, PYTHON, DEBS, DEPS set by run.sh.

PLAN=$ROOT/ci/gpu/plan.tsv
WORK=$ROOT/$BUILD_DIR/gpu-run        # generated data, training output, the step records
LOGS=$WORK/logs-part$PART            # every log of this part; OUT/logs.tar.gz holds them
STATE=$WORK/part$PART.tsv            # key<TAB>value lines that summarize.py reads
DEADLINE=${DTI_GPU_DEADLINE:-570}    # seconds a part may take: the device's 600 less a margin
MIN_STEP=${DTI_GPU_MIN_STEP:-10}     # a step with less time than this left is skipped
JOBS=$(nproc)
T0=$(date +%s)
DEADLINE_AT=$((T0 + DEADLINE))
rm -rf "$LOGS" && mkdir -p "$LOGS" "$OUT" || exit 2
: >"$STATE"

note() { echo "run.sh part $PART [$(($(date +%s) - T0)) s] $*" >&2; }
record() { printf '%s\t%s\n' "$1" "$2" >>"$STATE"; }   # key, value

# The estimate of step $1 of this part, empty when plan.tsv has no row for it.
plan_estimate() { awk -F'\t' -v p="$PART" -v s="$1" '$1 == p && $2 == s { print $3 }' "$PLAN"; }
# The estimates of the steps after step $1 in this part, summed (what must stay in reserve).
plan_after() {
  awk -F'\t' -v p="$PART" -v s="$1" '$1 == p { if (seen) sum += $3; if ($2 == s) seen = 1 }
    END { print sum + 0 }' "$PLAN"
}

# Rewrites OUT/summary.{json,md} and OUT/logs.tar.gz: after every step, so that a part stopped
# from outside still leaves what it did.
summarize() {
  "$PYTHON" "$ROOT/ci/gpu/summarize.py" --part "$PART" --state "$STATE" --logs "$LOGS" \
    --out "$OUT" || note "summarize.py failed"
  tar -czf "$OUT/logs.tar.gz.part" -C "$WORK" "logs-part$PART" && mv "$OUT/logs.tar.gz.part" "$OUT/logs.tar.gz"
}

# step NAME FUNCTION [ARGS]: runs a step of plan.tsv inside its time box. STEP_END is the moment
# the step must be done by: the part's deadline less the estimates of the steps still to come.
# Records "exit seconds estimate box" (exit "skipped" when no time is left), then summarizes.
failed=0  # read by run.sh: its exit status
step() {
  local name=$1 estimate start rc
  shift
  estimate=$(plan_estimate "$name")
  if [ -z "$estimate" ]; then
    note "$name: no estimate in ci/gpu/plan.tsv for part $PART; every step needs one"
    record "step.$name" "no-estimate 0 - -"
    failed=1; summarize; return 2
  fi
  start=$(date +%s)
  STEP_END=$((DEADLINE_AT - $(plan_after "$name")))
  if [ $((STEP_END - start)) -lt "$MIN_STEP" ]; then
    note "$name: skipped, $((STEP_END - start)) s left in its box (estimate $estimate s)"
    record "step.$name" "skipped 0 $estimate $((STEP_END - start))"
    failed=1; summarize; return 3
  fi
  note "$name: up to $((STEP_END - start)) s (estimate $estimate s)"
  "$@"
  rc=$?
  record "step.$name" "$rc $(($(date +%s) - start)) $estimate $((STEP_END - start))"
  [ "$rc" = 0 ] || { failed=1; note "$name failed (exit $rc; 124 = out of time)"; }
  summarize
  return "$rc"
}

# bounded COMMAND...: runs it with the time left in the current step's box (exit 124 past it).
bounded() {
  local left=$((STEP_END - $(date +%s)))
  [ "$left" -gt 0 ] || return 124
  timeout --kill-after=5 "$left" "$@"
}
with_libs() { LD_LIBRARY_PATH="$RUN_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }

# ---- the machine: torch, the device, the tools
machine() {
  local info
  info=$("$PYTHON" - <<'EOF' 2>/dev/null
import os, warnings; warnings.simplefilter("ignore")
import torch
cuda = torch.cuda.is_available()
print(torch.__version__, torch.version.cuda or "none", int(cuda),
      torch.cuda.get_device_name(0).replace(" ", "_") if cuda else "none",
      torch.utils.cmake_prefix_path, os.path.join(os.path.dirname(torch.__file__), "lib"))
EOF
  )
  read -r torch_version torch_cuda cuda_ok gpu_name torch_prefix torch_lib <<<"${info:-? ? 0 none ? ?}"
  TORCH_PREFIX=${DTI_TORCH_PREFIX:-$torch_prefix}
  TORCH_LIB=$torch_lib
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
  record cpu "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
  record host "$(uname -srm)"
  record glibc "$(ldd --version 2>/dev/null | head -1)"
  record compiler "$(c++ --version 2>/dev/null | head -1)"
  record cmake "$(cmake --version 2>/dev/null | head -1)"
  record git "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
  command -v nvidia-smi >/dev/null &&
    record nvidia_smi "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
  note "torch $torch_version (CUDA $torch_cuda), device $DEVICE ($gpu_name), $JOBS cores, out $OUT"
  [ -f "$TORCH_PREFIX/Torch/TorchConfig.cmake" ] ||
    { note "no TorchConfig.cmake under '$TORCH_PREFIX' (set PYTHON or DTI_TORCH_PREFIX)"; return 1; }
}

# ---- the carried .debs, unpacked into DEPS (nothing outside it is written)
unpack_debs() {
  rm -rf "$DEPS" && mkdir -p "$DEPS/bin" || return 1
  local unpack=("$PYTHON" "$ROOT/ci/gpu/unpack_deb.py" "$DEPS")
  command -v dpkg-deb >/dev/null && unpack=(sh -c 'dpkg-deb -x "$1" "$0"' "$DEPS")
  printf '%s\0' "$ROOT/$DEBS"/*.deb | bounded xargs -0 -n 1 -P "$JOBS" "${unpack[@]}" || return 1
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
  # The same .debs unpacked once per warm machine: part 2 finds this and skips the step.
  (cd "$ROOT/$DEBS" && cksum ./*.deb) >"$DEPS/.unpacked-from"
}
deps() {
  if [ -f "$DEPS/.unpacked-from" ] && (cd "$ROOT/$DEBS" && cksum ./*.deb) | cmp -s - "$DEPS/.unpacked-from"; then
    note "deps: $DEPS already holds these .debs"
    return 0
  fi
  unpack_debs
}

# Sets cmake_deps and RUN_LIBS (the library path of every program run: the carried libraries
# and torch's own lib/, which the installed runexp also needs).
cmake_deps=()
RUN_LIBS=""
use_deps() {
  if [ "$DEBS" != none ] && compgen -G "$ROOT/$DEBS/*.deb" >/dev/null; then
    local lib=$DEPS/usr/lib/x86_64-linux-gnu
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
    cmake_deps=("-DCMAKE_PREFIX_PATH=$TORCH_PREFIX")
  fi
  [ -d "$TORCH_LIB" ] && RUN_LIBS="$RUN_LIBS${RUN_LIBS:+:}$TORCH_LIB"
}

# ---- configure and build every target, every test's executable included (a folder that CI's
# ci/test.sh --fast built has the fast ones only; ninja does nothing when it is up to date), each
# test its own CTest entry (ci/sanitize.sh --whole registers whole executables; `ctest -R _CUDA$`
# below needs the tests' own names)
build() {
  {
    bounded cmake -S "$ROOT" -B "$ROOT/$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DDTI_TEST_LABELS= -DDTI_TEST_WHOLE= "${cmake_deps[@]}" &&
      bounded cmake --build "$ROOT/$BUILD_DIR" -j "$JOBS"
  } >"$LOGS/build.log" 2>&1
  local rc=$?
  [ $rc = 0 ] || tail -40 "$LOGS/build.log" >&2
  return $rc
}

# The first steps of both parts: the machine, the .debs, the build. Exits the part on failure.
prepare() {
  step machine machine || exit 1
  use_deps
  if [ ${#cmake_deps[@]} -gt 1 ]; then
    step deps deps || exit 1
  else
    note "no .debs in $DEBS: the machine's own packages"
  fi
  step build build || exit 1
}
