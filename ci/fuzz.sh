#!/usr/bin/env bash
# Fuzzes the readers of outside bytes with libFuzzer (Debian's clang), ASan and UBSan:
#   ci/fuzz.sh [SECONDS] [NAME...]   # each harness (or the NAMEd ones) for SECONDS (default 30)
# Harnesses: tests/fuzz/<name>_fuzzer.cpp, seeds: tests/fuzz/<name>_corpus/, corpora grown in
# build-fuzz/. Skipped (exit 0) when clang is missing. A crash leaves its input in
# build-fuzz/<name>-crashes/ and fails; fixed ones go to the seeds as regress_* inputs.
# FUZZ_BUILD_ONLY=1 builds without fuzzing. DTI_FUZZ_SEED=N fixes libFuzzer's random seed (CI:
# a run that fails can be run again; unset, a new seed each run, to explore). What each harness
# checks, and what was found: reports/results/reliability.md (Fuzzing).
# The reader's own sources are compiled into each harness with the fuzzer's coverage; what they
# call beyond that (LibTorch, the rest of our libraries, built by ci/build.sh in build/) is linked
# uninstrumented, so those harnesses need build/ first (ci/test.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
if ! command -v clang++ >/dev/null; then
  echo "ci/fuzz.sh: clang++ not found; skipping (apt-get install clang)"
  exit 0
fi
out=build-fuzz
# Leaks and over-reads inside system libraries that are not ours, each with its reason.
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="suppressions=$PWD/tests/fuzz/asan.supp${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
mkdir -p "$out/gen"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I. -I"$out/gen")
# tf.train.Example's generated protobuf code, as datasets/CMakeLists.txt makes it.
if [[ datasets/proto/tf_example.proto -nt "$out/gen/proto/tf_example.pb.cc" ]]; then
  protoc --cpp_out="$out/gen" -Idatasets datasets/proto/tf_example.proto
fi
# stb's decoders (Debian ships them as libstb.so) compiled into the harness, so that the fuzzer
# sees their branches; these definitions take precedence over the shared library's. UBSan's
# nonnull-attribute check is off inside stb only: a PNG may hold an empty IDAT chunk, which stb
# copies with memcpy(NULL, src, 0) (stbi__getn before any data was allocated), undefined by the
# letter of C but a copy of nothing (regress_png_empty_idat; reports/results/reliability.md).
# A null pointer with a real length would still fault, and ASan would report it.
printf '%s\n' \
  '#pragma clang attribute push(__attribute__((no_sanitize("nonnull-attribute"))), apply_to = function)' \
  '#define STB_IMAGE_IMPLEMENTATION' '#include <stb_image.h>' '#pragma clang attribute pop' \
  > "$out/gen/stb_image.cpp"

# Libraries from build/ (ci/build.sh) and the system libraries they need.
hdf5="-I/usr/include/hdf5/serial -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5"
datasets_libs="build/datasets/libdti_datasets.a build/datasets/libdti_datasets_proto.a
  build/base/libdti_base.a -lprotobuf -lmatio -lstb -lz -lboost_program_options -lpthread"
# Everything, LibTorch included (Debian's: same libstdc++ ABI as clang's default), and the OpenMP
# runtime LibTorch uses, which libdti_core.a's CPU kernels call (gcc's -fopenmp in build/).
torch="-isystem /usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10 -l:libgomp.so.1"
experiments_libs=$(printf 'build/experiments/%s/libdti_experiments_%s.a ' config config suite suite run run \
  results results launch launch cli cli)
all_libs="-Wl,--start-group $experiments_libs build/core/libdti_core.a
  build/metrics/libdti_metrics.a build/reports/libdti_reports.a -Wl,--end-group $datasets_libs
  -lsqlite3 -lyaml-cpp $torch"

# name: harness plus the sources it reads with (compiled with the fuzzer's coverage) | what it
# links beyond them.
declare -A sources=(
  [tfrecord]="datasets/tfrecord.cpp datasets/crc32c.cpp | -lz"
  [tf_example]="datasets/tf_example.cpp base/strings.cpp $out/gen/proto/tf_example.pb.cc | -lprotobuf"
  [h5_dataset]="datasets/dataset_reader.cpp datasets/dataset_writer.cpp datasets/h5_util.cpp datasets/dataset_digest.cpp
    datasets/inspect.cpp datasets/crc32c.cpp | $hdf5 $datasets_libs"
  [svhn_mat]="datasets/convert_svhn.cpp | $hdf5 $datasets_libs"
  [image_csv]="datasets/convert_images.cpp datasets/image_io.cpp $out/gen/stb_image.cpp |
    -I/usr/include/stb $hdf5 $datasets_libs"
  [config]="experiments/config/config.cpp experiments/config/config_parse.cpp
    experiments/config/config_values.cpp experiments/config/config_schema.cpp | $hdf5 $all_libs"
  [checkpoint]="core/checkpoint.cpp | $all_libs"
  [store]="reports/store.cpp reports/store_import.cpp reports/store_data.cpp reports/store_queries.cpp reports/store_schema.cpp reports/sqlite_db.cpp
    reports/liveness.cpp | $all_libs"
  [benchmark_json]="reports/benchmark_import.cpp reports/sqlite_db.cpp | $all_libs"
)

# Extra libFuzzer options. libhdf5 and matio allocate the sizes a damaged header claims before
# checking them against the file (4 GB for a 16 KB file); glibc hands out such blocks untouched
# (virtual memory) and the open then fails with a clear error, so only real growth (rss) counts.
# The image harness skips images claiming over 1 M pixels (a few bytes of RLE TGA may claim up to
# the 100 M load_image accepts: 65 s under ASan for 38 M); the rest may still take seconds.
declare -A options=(
  [h5_dataset]="-malloc_limit_mb=65536"
  [svhn_mat]="-malloc_limit_mb=65536"
  [image_csv]="-timeout=120"
)

names=("$@")
[[ ${#names[@]} -gt 0 ]] || mapfile -t names < <(printf '%s\n' "${!sources[@]}" | sort)
for name in "${names[@]}"; do
  [[ -n ${sources[$name]+x} ]] || { echo "ci/fuzz.sh: no harness '$name'"; exit 2; }
  if [[ ${sources[$name]#*|} == *build/* && ! -f build/experiments/cli/libdti_experiments_cli.a ]]; then
    echo "ci/fuzz.sh: $name links our libraries from build/; run ci/build.sh first"
    exit 2
  fi
done

build_harness() {
  local name=$1
  echo "== $name: build"
  # shellcheck disable=SC2086
  clang++ "${flags[@]}" "tests/fuzz/${name}_fuzzer.cpp" ${sources[$name]%%|*} ${sources[$name]#*|} \
    -o "$out/${name}_fuzzer"
}

fuzz_harness() {
  local name=$1 corpus="$out/$1-corpus" crashes="$out/$1-crashes"
  mkdir -p "$corpus" "$crashes"
  echo "== $name: ${seconds}s"
  # The seeds run first, so every regression input found so far is replayed on each run.
  # shellcheck disable=SC2086
  if ! "$out/${name}_fuzzer" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -timeout=10 ${DTI_FUZZ_SEED:+-seed=$DTI_FUZZ_SEED} ${options[$name]:-} \
      -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "tests/fuzz/${name}_corpus"; then
    echo "ci/fuzz.sh: $name found a failure; its input is in $crashes/"
    return 1
  fi
}

# on_each <function> <name>...: the function for each name, one per core at a time (each harness
# builds and fuzzes on one core; one after another they took twice as long on CI's two cores).
# Each one's output is printed whole once all have ended, those that failed last, then what
# failed: CI keeps only the end of a log, and stop 34's CI failure could not be read from it.
on_each() {
  local fn=$1 name
  local -a failed=()
  shift
  for name in "$@"; do
    while [[ $(jobs -rp | wc -l) -ge ${DTI_BUILD_JOBS:-$(nproc)} ]]; do wait -n; done
    (if "$fn" "$name" >"$out/$name.$fn.log" 2>&1; then echo 0; else echo 1; fi \
      >"$out/$name.$fn.status") &
  done
  wait
  for name in "$@"; do
    if [[ $(cat "$out/$name.$fn.status") == 0 ]]; then
      cat "$out/$name.$fn.log"
    else
      failed+=("$name")
    fi
  done
  [[ ${#failed[@]} -eq 0 ]] && return 0
  for name in "${failed[@]}"; do cat "$out/$name.$fn.log"; done
  for name in "${failed[@]}"; do report_failure "$fn" "$name"; done
  return 1
}

# report_failure <function> <name>: the sanitizer's summary and each input that failed, small
# ones in base64 (`base64 -d > FILE` makes it again), so that a CI log's last lines reproduce it.
report_failure() {
  local fn=$1 name=$2 input
  echo "ci/fuzz.sh: $name failed in $fn:"
  grep -E '^(SUMMARY|==[0-9]+==ERROR|.*runtime error)' "$out/$name.$fn.log" | head -5 || true
  for input in "$out/$name-crashes"/*; do
    [[ -f $input && $(basename "$input") != slow-unit-* ]] || continue
    echo "  input $input ($(stat -c %s "$input") bytes, sha1 $(sha1sum < "$input" | cut -c1-40))"
    if [[ $(stat -c %s "$input") -le 4096 ]]; then echo "  base64: $(base64 -w0 < "$input")"; fi
  done
}

on_each build_harness "${names[@]}"
[[ ${FUZZ_BUILD_ONLY:-0} == 1 ]] && exit 0
on_each fuzz_harness "${names[@]}"
