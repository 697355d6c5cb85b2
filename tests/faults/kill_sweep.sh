#!/usr/bin/env bash
# The long version of the `faults` kill test (reports/results/reliability.md): SIGKILL at N
# random moments of `runexp table1 --preset smoke` (5 kills per round, each round rerun to
# completion and compared with an uninterrupted run), default N = 50. CTest runs the same test
# with 5 kills.
#   tests/faults/kill_sweep.sh [KILLS] [SEED]     # e.g. 50 kills, about 25-40 min on two cores
# BUILD_DIR selects the build (default: build). Prints the test's summary line at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
kills=${1:-50}
seed=${2:-}
binary=${BUILD_DIR:-build}/tests/experiments/faults_tests
[ -x "$binary" ] || { echo "kill_sweep: $binary not found; build it first (ci/build.sh)" >&2; exit 2; }
[ "$kills" -ge 1 ] 2>/dev/null || { echo "kill_sweep: KILLS must be a positive number, got '$kills'" >&2; exit 2; }
log=$(mktemp "${TMPDIR:-/tmp}/dti_kill_sweep.XXXXXX")
status=0
env OMP_NUM_THREADS=1 DTI_FAULTS_KILLS="$kills" ${seed:+DTI_FAULTS_SEED=$seed} \
  "$binary" --gtest_filter='KillTest.*' >"$log" 2>&1 || status=$?
grep -E 'kill moments|^round |faults summary|Failure|differs|after a kill|FAILED|PASSED' "$log" | head -60
echo "kill_sweep: full output in $log (exit $status)"
exit "$status"
