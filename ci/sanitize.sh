#!/usr/bin/env bash
# Builds the suite with AddressSanitizer and UndefinedBehaviorSanitizer (gcc) and runs the fast
# tests (labels unit and golden, as `ci/test.sh --fast`) under them:
#   ci/sanitize.sh [CTEST ARGS...]                 # Debian's LibTorch 1.13, build-asan/
#   ci/sanitize.sh --torch cuda --all --whole      # what CI runs: PyPI's CUDA LibTorch 2.11 in
#                                                  # build-cuda-asan/, every executable built, each
#                                                  # fast test executable run whole
# --torch takes what ci/build.sh takes (debian, cuda or a prefix). Of the test executables only the
# fast tests' are built, unless --all (then every target, so the folder can serve ci/gpu/rehearse.sh).
# --whole runs each fast test executable as one CTest entry, all its tests in one process
# (DTI_TEST_WHOLE with DTI_TEST_FORK_EACH=OFF, tests/CMakeLists.txt): a sanitized test process
# takes about 3 s of CPU to start, so one per test costs more than the tests, and forking one per
# test (as ci/test.sh --whole does) pays LeakSanitizer's check, about 0.7 s, in every child.
# Without it (the default) one entry per test, so that `-R <test>` picks one.
# SANITIZE_BUILD_ONLY=1 stops after the build; SANITIZE_TARGETS (space-separated) builds only those.
# Warnings are not errors here: the sanitizers' code changes what gcc warns about, and ci/test.sh
# already holds our sources to -DDTI_WERROR=ON.
# Only our code is instrumented: LibTorch, HDF5, SQLite, ... are not, so ASan sees their memory but
# not their bugs. Settings that differ from the defaults, and why:
# - -fno-sanitize=vptr: UBSan's dynamic-type check needs RTTI from instrumented code; on LibTorch's
#   polymorphic types (torch::nn modules, c10 intrusive pointers) built without it, it reports
#   false mismatches.
# - suppressions and run-time options: ci/with-sanitizers.sh (which runs the tests here).
# - -O1: a sanitized -O3 build of the LibTorch-heavy sources takes far longer to compile and finds
#   the same things.
# - a unity build (CMAKE_UNITY_BUILD: each target's sources compiled in batches of 8 as one file):
#   every sanitized source that includes LibTorch spends about 3 s loading the precompiled ATen
#   header (gcc redoes its pending template instantiations in each file), so fewer, larger files
#   compile faster: from scratch, 808 s one file per source, 549 s so (back to back, 2026-12-07,
#   Zen 3 VM, 2 vCPUs). The plain build (ci/build.sh) keeps one file per source,
#   so a source that forgets an include still fails there.
set -euo pipefail
cd "$(dirname "$0")/.."
torch=debian
labels='unit|golden'
whole=""
while [ $# -gt 0 ]; do
  case "$1" in
    --torch) torch=${2:?--torch needs debian, cuda or a prefix}; shift 2 ;;
    --torch=*) torch=${1#--torch=}; shift ;;
    --all) labels=""; shift ;;
    --whole) whole='unit|golden'; shift ;;
    *) break ;;
  esac
done
case "$torch" in
  debian) export BUILD_DIR=${BUILD_DIR:-build-asan} ;;
  cuda) export BUILD_DIR=${BUILD_DIR:-build-cuda-asan} ;;
  *) export BUILD_DIR=${BUILD_DIR:-build-torch-asan} ;;
esac
sanitize="-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined"
sanitize+=" -fno-omit-frame-pointer"
export DTI_BUILD_TARGETS=${SANITIZE_TARGETS:-}
ci/build.sh --torch "$torch" "-DCMAKE_CXX_FLAGS=$sanitize" "-DCMAKE_C_FLAGS=$sanitize" \
  "-DDTI_TEST_LABELS=$labels" "-DDTI_TEST_WHOLE=$whole" -DDTI_TEST_FORK_EACH=OFF \
  -DCMAKE_UNITY_BUILD=ON \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" \
  "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined"
[[ ${SANITIZE_BUILD_ONLY:-0} == 1 ]] && exit 0
start=$(date +%s)
ci/with-sanitizers.sh ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error \
  -j "$(nproc)" -L 'unit|golden' -LE slurm "$@"
echo "sanitize.sh: fast tests under ASan+UBSan in $(($(date +%s) - start)) s"
