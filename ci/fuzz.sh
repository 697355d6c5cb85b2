#!/usr/bin/env bash
# Fuzzes the readers of outside bytes with libFuzzer (Debian's clang), ASan and UBSan:
#   ci/fuzz.sh [SECONDS]    # each harness for SECONDS (default 30), corpus kept in build-fuzz/
# Harnesses: tests/fuzz/<name>_fuzzer.cpp, seeds: tests/fuzz/<name>_corpus/. Skipped (exit 0)
# when clang is missing. A crash leaves its input in build-fuzz/<name>-crashes/ and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
if ! command -v clang++ >/dev/null; then
  echo "ci/fuzz.sh: clang++ not found; skipping (apt-get install clang)"
  exit 0
fi
out=build-fuzz
mkdir -p "$out"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I.)

# name: harness plus the sources it reads with (compiled with the fuzzer's coverage).
declare -A sources=(
  [tfrecord]="datasets/tfrecord.cpp datasets/crc32c.cpp"
)

status=0
for name in "${!sources[@]}"; do
  binary="$out/${name}_fuzzer"
  # shellcheck disable=SC2086
  clang++ "${flags[@]}" "tests/fuzz/${name}_fuzzer.cpp" ${sources[$name]} -lz -o "$binary"
  corpus="$out/${name}-corpus"
  crashes="$out/${name}-crashes"
  mkdir -p "$corpus" "$crashes"
  echo "== $name: ${seconds}s"
  if ! "$binary" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "tests/fuzz/${name}_corpus"; then
    echo "ci/fuzz.sh: $name found a failure; its input is in $crashes/"
    status=1
  fi
done
exit $status
