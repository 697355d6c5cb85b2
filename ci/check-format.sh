#!/usr/bin/env bash
# Fails when a C++ file differs from .clang-format (Google based, 100 columns). Fix with:
#   clang-format -i $(git ls-files '*.h' '*.cpp')
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "check-format: clang-format not installed (ci/install-deps.sh installs it)" >&2
  exit 1
fi
bad=()
while IFS= read -r f; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.h' '*.cpp')
if [ ${#bad[@]} -gt 0 ]; then
  printf 'check-format: not formatted (run clang-format -i on them):\n'
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check-format: $(git ls-files '*.h' '*.cpp' | wc -l) files formatted"
