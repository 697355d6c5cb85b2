#!/usr/bin/env bash
# Runs a command with the sanitizers' settings for programs of an ASan+UBSan build
# (ci/sanitize.sh): our suppressions (tests/fuzz/{asan,lsan}.supp, one reason per entry), stack
# use after return checked, and the first UBSan report fatal with its stack. Settings already in
# the environment are kept after ours.
#   ci/with-sanitizers.sh COMMAND [ARGS...]   # e.g. ci/with-sanitizers.sh ci/gpu/rehearse.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export ASAN_OPTIONS="suppressions=$root/tests/fuzz/asan.supp:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
exec "$@"
