#!/usr/bin/env bash
# Builds the suite and runs its tests with CTest: every test (unit, golden, e2e, learning, faults)
# by default, only the fast ones (labels unit and golden) with --fast.
#   ci/test.sh                        # Debian's LibTorch 1.13, ./build, all tests
#   ci/test.sh --whole                # as CI runs it: each fast test executable one CTest entry
#   ci/test.sh --torch cuda --fast    # PyPI's CUDA torch 2.11, ./build-cuda, fast tests (on the CPU)
# --torch takes what ci/build.sh takes (debian, cuda or a prefix); other arguments go to cmake.
# --whole registers each fast test executable (labels unit, golden) as one CTest entry that runs
# each of its tests in a child forked from one start of the program (DTI_TEST_WHOLE,
# tests/CMakeLists.txt): starting a LibTorch test process costs about 1 s of CPU, more than most
# tests. Without it, one entry (and process) per test, so that `ctest -R <test>` picks one.
set -euo pipefail
cd "$(dirname "$0")/.."
torch=debian
fast=0
whole=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=1; shift ;;
    --whole) whole='unit|golden'; shift ;;
    --torch) torch=${2:?--torch needs debian, cuda or a prefix}; shift 2 ;;
    --torch=*) torch=${1#--torch=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$torch" in
  debian) BUILD_DIR=${BUILD_DIR:-build} ;;
  cuda) BUILD_DIR=${BUILD_DIR:-build-cuda} ;;
  *) BUILD_DIR=${BUILD_DIR:-build-torch} ;;
esac
export BUILD_DIR
ci/check-format.sh
# --fast builds only the fast tests' executables (DTI_TEST_LABELS, tests/CMakeLists.txt); without
# it, every one (the setting is cleared, so a folder once built --fast gets them all again).
labels=""
[ "$fast" = 1 ] && labels='unit|golden'
# DTI_TEST_WHOLE always set, so a folder once configured --whole gets one entry per test again.
ci/build.sh --torch "$torch" "-DDTI_TEST_LABELS=$labels" "-DDTI_TEST_WHOLE=$whole" \
  -DDTI_TEST_FORK_EACH=ON "${args[@]}"
# Every test, the real-Slurm ones included (label slurm: a one-node cluster started by the test,
# skipped without slurm-wlm/munge or root; 2 to 8 minutes by load, reports/results/slurm-tests.md).
select=()
[ "$fast" = 1 ] && select=(-L 'unit|golden')
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$(nproc)" "${select[@]}"
