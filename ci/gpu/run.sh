#!/usr/bin/env bash
# The suite on a GPU machine, in two commands that each fit one 600-s device call (ci/gpu/README.md):
#   ci/gpu/run.sh --part 1 OUTDIR            # build, unit|golden and every *_CUDA test, short benchmark
#   ci/gpu/run.sh --part 2 OUTDIR [SECONDS]  # authors' step beside ours, K runs at once, a training
#   ci/gpu/run.sh OUTDIR [SECONDS]           # both: OUTDIR/part1, then OUTDIR/part2
#
# Run from the repository root on a machine with python3's torch (the CUDA LibTorch it ships is
# what the suite links), a C++ compiler, CMake and ninja but no apt and no network, with the .debs
# that ci/gpu/prepare.sh fetched (DEBS=.debs) and the authors' code that ci/gpu/prepare-ref.sh put
# in .ref/. Every step is a row of ci/gpu/plan.tsv with its estimate; a part stops by its deadline
# (DTI_GPU_DEADLINE, default 570 s), each step boxed to the deadline less the estimates of the
# steps after it. A part leaves four files in OUTDIR: summary.md, summary.json (both rewritten after
# every step), logs.tar.gz and bench.json (part 1) or compare.json (part 2). SECONDS is part 2's
# training time (default: the time left). Part 2 reuses part 1's build-gpu/ while the machine stays
# warm and rebuilds it otherwise.
# Knobs (environment): PYTHON (default python3), DTI_TORCH_PREFIX, DTI_GPU_DEVICE=cuda|cpu (default:
# cuda when nvidia-smi and torch see a GPU), DEBS (none: the machine's own packages), DEPS, BUILD_DIR
# (default build-gpu), DTI_REF (default .ref), DTI_GPU_RUNS_AT_ONCE (K, default 4), DTI_GPU_QUICK=1
# (tiny sizes: how CI rehearses this on a CPU, ci/gpu/rehearse.sh).
# Exit status: 0 when every step ran and succeeded, 1 otherwise (summary.json says which), 2 usage.
set -uo pipefail
usage() { sed -n '2,5p' "$0" | sed 's/^# //' >&2; exit 2; }
PART=all
case "${1:-}" in
  --part) PART=${2:-}; shift 2 || usage; [[ "$PART" =~ ^[12]$ ]] || usage ;;
  -h|--help|"") usage ;;
esac
[ $# -ge 1 ] && [ $# -le 2 ] || usage
[ "$PART" != 1 ] || [ $# = 1 ] || usage
TRAIN_SECONDS=${2:-}
[[ "$TRAIN_SECONDS" =~ ^[0-9]*$ ]] || usage
OUT=$(mkdir -p "$1" && cd "$1" && pwd) || { echo "run.sh: cannot create $1" >&2; exit 2; }
if [ "$PART" = all ]; then   # two processes, each with its own deadline
  "$0" --part 1 "$OUT/part1"; rc1=$?
  "$0" --part 2 "$OUT/part2" ${TRAIN_SECONDS:+"$TRAIN_SECONDS"}; rc2=$?
  [ "$rc1" = 0 ] && [ "$rc2" = 0 ]; exit $?
fi
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
DEBS=${DEBS:-.debs}
DEPS=${DEPS:-/tmp/dti-deps}
BUILD_DIR=${BUILD_DIR:-build-gpu}
QUICK=${DTI_GPU_QUICK:-0}
# shellcheck source=ci/gpu/lib.sh
. "$ROOT/ci/gpu/lib.sh"
BIN=$ROOT/$BUILD_DIR
COMPARE=("$PYTHON" "$ROOT/ci/gpu/compare.py" --out "$OUT/compare.json" --logs "$LOGS")
[ "$QUICK" = 1 ] && COMPARE+=(--quick)

# ---- part 1
# The fast tests, then every *_CUDA test verbosely (their skip reasons are in the log). On a GPU a
# skipped CUDA test fails the step: a run that tested nothing on the device must not pass.
tests() {
  local rc=0
  if [ "$QUICK" != 1 ]; then  # the rehearsal's CI already ran these
    with_libs bounded ctest --test-dir "$BIN" --output-on-failure --no-tests=error -j "$JOBS" \
      -L 'unit|golden' -E '_CUDA$' >"$LOGS/ctest.log" 2>&1 || rc=1
  fi
  with_libs bounded ctest --test-dir "$BIN" -V --no-tests=error -j "$JOBS" -R '_CUDA$' \
    >"$LOGS/ctest-cuda.log" 2>&1 || rc=1
  tail -12 "$LOGS/ctest-cuda.log" >&2
  if [ "$DEVICE" = cuda ] && grep -q '_CUDA (Skipped)' "$LOGS/ctest-cuda.log"; then
    note "tests: a *_CUDA test was skipped on a GPU machine (ctest-cuda.log says why)"
    rc=1
  fi
  return $rc
}

bench() {
  local filter='^BM_TrainStep(X4)?/[013]/|^BM_TrainStepPhase/' min=0.5 phase=10
  [ "$QUICK" = 1 ] && { filter='^BM_TrainStep/0/'; min=0.05; phase=1; }
  DTI_BENCH_DEVICE=$DEVICE DTI_BENCH_MIN_TIME=$min DTI_BENCH_PHASE_ITERATIONS=$phase \
    with_libs bounded "$BIN/bench/dti_bench" --benchmark_filter="$filter" \
    --benchmark_out="$OUT/bench.json" --benchmark_out_format=json >"$LOGS/bench.log" 2>&1
  local rc=$?
  tail -8 "$LOGS/bench.log" >&2
  # Part 2 plans its training from this when its own measurement is missing.
  [ $rc = 0 ] && cp "$OUT/bench.json" "$WORK/bench-part1.json"
  return $rc
}

# ---- part 2
# 60,000 Tetrominoes images (the paper's), as `runexp train` would generate them; the rehearsal a few.
DATA_IMAGES=60000
DATA_SET=()
[ "$QUICK" = 1 ] && { DATA_IMAGES=400; DATA_SET=(--set dataset.n_images=400); }
data() {
  local file=$WORK/data/tetrominoes.h5
  [ "$DATA_IMAGES" = 60000 ] || file=$WORK/data/tetrominoes_n$DATA_IMAGES.h5
  [ -f "$file" ] && { note "data: $file is there"; return 0; }
  mkdir -p "$WORK/data"
  with_libs bounded "$BIN/experiments/runexp" data generate tetrominoes --n "$DATA_IMAGES" \
    --seed 0 --out "$file" >"$LOGS/data.log" 2>&1
}

seconds_left() { echo $((STEP_END - $(date +%s))); }
authors() {
  with_libs "${COMPARE[@]}" authors --device "$DEVICE" --seconds "$(seconds_left)" \
    --ref "${DTI_REF:-$ROOT/.ref}" --work "$WORK"
}
ours() {
  with_libs "${COMPARE[@]}" ours --device "$DEVICE" --seconds "$(seconds_left)" \
    --bench "$BIN/bench/dti_bench"
}
together() {
  with_libs "${COMPARE[@]}" together --device "$DEVICE" --seconds "$(seconds_left)" \
    --runexp "$BIN/experiments/runexp" --work "$WORK" --runs "${DTI_GPU_RUNS_AT_ONCE:-4}" \
    -- "${DATA_SET[@]}"
}
# Tetrominoes at the paper's settings for the time left (or SECONDS): iterations from the measured
# speed, with a fifth of the time kept for start, evaluation and a slower-than-measured step.
train() {
  local seconds rate iterations
  seconds=$(($(seconds_left) - 15))
  [ -n "$TRAIN_SECONDS" ] && [ "$TRAIN_SECONDS" -lt "$seconds" ] && seconds=$TRAIN_SECONDS
  [ "$QUICK" = 1 ] && [ "$seconds" -gt 10 ] && seconds=10
  rate=$("$PYTHON" "$ROOT/ci/gpu/compare.py" --out "$OUT/compare.json" rate \
    --bench-json "$WORK/bench-part1.json") || rate=$([ "$DEVICE" = cuda ] && echo 1000 || echo 100)
  iterations=$("$PYTHON" -c "print(max(1, int(0.8 * $seconds * $rate / 32)))")
  record train_rate_img_s "$rate"
  record train_seconds "$seconds"
  record train_iterations "$iterations"
  note "train: $iterations iterations of 32 images at ~$rate img/s in ~$seconds s"
  rm -rf "$WORK/train"
  with_libs bounded "$BIN/experiments/runexp" train --config tetrominoes --preset paper \
    --device "$DEVICE" --seed 0 --out "$WORK/train" --data-dir "$WORK/data" --no-tensorboard \
    "${DATA_SET[@]}" --set "training.max_iterations=$iterations" \
    --set "training.train_stat_interval=$((iterations / 50 + 1))" >"$LOGS/train.log" 2>&1
  local rc=$?
  tail -4 "$LOGS/train.log" >&2
  return $rc
}

prepare
if [ "$PART" = 1 ]; then
  step tests tests
  step bench bench
else
  step data data; data_rc=$?
  step authors authors
  step ours ours
  if [ "$data_rc" = 0 ]; then
    step together together
    step train train
  fi
fi
record total_seconds "$(($(date +%s) - T0))"
summarize
note "done: $OUT/summary.md"
exit "$failed"
