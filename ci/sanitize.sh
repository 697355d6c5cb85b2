#!/usr/bin/env bash
# Builds the suite with AddressSanitizer and UndefinedBehaviorSanitizer (gcc) into build-asan/
# and runs the fast tests (labels unit and golden, as `ci/test.sh --fast`):
#   ci/sanitize.sh [CTEST ARGS...]     # e.g. ci/sanitize.sh -R Store
# SANITIZE_BUILD_ONLY=1 stops after the build. Warnings are not errors here: the sanitizers' code
# changes what gcc warns about, and ci/test.sh already holds our sources to -DDTI_WERROR=ON.
# Only our code is instrumented: Debian's LibTorch, HDF5, SQLite, ... are not, so ASan sees their
# memory but not their bugs. Settings that differ from the defaults, and why:
# - -fno-sanitize=vptr: UBSan's dynamic-type check needs RTTI from instrumented code; on LibTorch's
#   polymorphic types (torch::nn modules, c10 intrusive pointers) built without it, it reports
#   false mismatches.
# - LeakSanitizer and AddressSanitizer suppressions in tests/fuzz/{lsan,asan}.supp, one reason per
#   entry (leaks and over-reads inside libhdf5 on damaged files).
# - -O1: a sanitized -O3 build of the LibTorch-heavy sources takes far longer to compile and finds
#   the same things.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-asan}
sanitize="-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined"
sanitize+=" -fno-omit-frame-pointer"
start=$(date +%s)
# Of the test executables, only the fast tests' are built (DTI_TEST_LABELS).
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS=$sanitize" \
  "-DDTI_TEST_LABELS=unit|golden" \
  "-DCMAKE_C_FLAGS=$sanitize" "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" \
  "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined"
# SANITIZE_TARGETS (space-separated) builds only those targets, e.g. one test executable.
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "${DTI_BUILD_JOBS:-$(nproc)}" ${SANITIZE_TARGETS:+--target $SANITIZE_TARGETS}
echo "sanitize.sh: $BUILD_DIR built in $(($(date +%s) - start)) s"
[[ ${SANITIZE_BUILD_ONLY:-0} == 1 ]] && exit 0
export ASAN_OPTIONS="suppressions=$PWD/tests/fuzz/asan.supp:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
start=$(date +%s)
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$(nproc)" \
  -L 'unit|golden' -LE slurm "$@"
echo "sanitize.sh: fast tests under ASan+UBSan in $(($(date +%s) - start)) s"
