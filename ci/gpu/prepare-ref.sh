#!/usr/bin/env bash
# Run HERE before a GPU call that should time the authors' code beside ours (ci/gpu/compare.py):
# puts their src/ and configs/ (monniert/dti-sprites, commit c98a37c, brought by the search tool's
# `fetch github:monniert/dti-sprites` as a bare git folder) and ../shared/reference's ref_perf.py
# and refshim/ into .ref/ (git-ignored, about 1 MB), which travels with `carry: [".debs", ".ref"]`.
#   ci/gpu/prepare-ref.sh GIT_DIR [SHARED_REFERENCE_DIR]
# Their code is a measuring instrument here: never copied into the suite.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,7p' "$0" | sed 's/^# //' >&2; exit 2; }
git_dir=$1
reference=${2:-$(dirname "$0")/../../../shared/reference}
cd "$(dirname "$0")/../.."
[ -f "$reference/ref_perf.py" ] || { echo "prepare-ref: no ref_perf.py in $reference" >&2; exit 1; }
commit=c98a37c
git --git-dir="$git_dir" rev-parse --verify -q "$commit^{commit}" >/dev/null || commit=HEAD
rm -rf .ref.part && mkdir -p .ref.part
git --git-dir="$git_dir" archive "$commit" src configs | tar -x -C .ref.part
cp "$reference/ref_perf.py" .ref.part/ && cp -r "$reference/refshim" .ref.part/
echo "$commit" >.ref.part/COMMIT
rm -rf .ref && mv .ref.part .ref
echo "prepare-ref: .ref/ holds their src/ and configs/ at $commit and ref_perf.py ($(du -sh .ref | cut -f1))"
