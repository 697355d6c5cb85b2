#!/usr/bin/env bash
# The GPU plan rehearsed on a CPU (CI's last step): both parts of ci/gpu/run.sh, as the device tool
# would run them, against BUILD_DIR (default build-cuda/: PyPI's CUDA LibTorch, built by
# `ci/test.sh --torch cuda`; CI passes build-cuda-asan/, the same LibTorch under ASan+UBSan, from
# `ci/sanitize.sh --torch cuda --all`, and runs this through ci/with-sanitizers.sh) with tiny
# sizes (DTI_GPU_QUICK=1), then ci/gpu/check_out.py on what each part left. Fails when
# a part leaves more than 8 files, a file more than two folders down or over 16 MiB, when a step
# has no estimate in ci/gpu/plan.tsv, or when a step fails; the authors' step may only say that
# their code is absent (.ref/ comes from ci/gpu/prepare-ref.sh, not from CI).
#   ci/gpu/rehearse.sh [OUTDIR]     # default out/gpu-rehearsal
#   BUILD_DIR=build-cuda-asan ci/with-sanitizers.sh ci/gpu/rehearse.sh   # as CI runs it
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/gpu-rehearsal}
rm -rf "$out"
export BUILD_DIR=${BUILD_DIR:-build-cuda} DEBS=none DTI_GPU_QUICK=1 DTI_GPU_DEVICE=cpu
PYTHON=${PYTHON:-$(ci/install-torch.sh --python)}
export PYTHON
rc=0
ci/gpu/run.sh --part 1 "$out/part1" || rc=1
ci/gpu/run.sh --part 2 "$out/part2" || rc=1
for part in part1 part2; do
  python3 ci/gpu/check_out.py "$out/$part" --plan ci/gpu/plan.tsv \
    --script ci/gpu/run.sh --script ci/gpu/lib.sh || exit 1
done
if [ "$rc" != 0 ]; then  # which steps failed, and is each allowed to here?
  python3 - "$out" "${DTI_REF:-.ref}" <<'PY' || exit 1
import json, os, sys
out, ref = sys.argv[1], sys.argv[2]
bad = []
for part in ("part1", "part2"):
    s = json.load(open(os.path.join(out, part, "summary.json")))
    for name, st in s["steps"].items():
        absent = name == "authors" and not os.path.exists(os.path.join(ref, "ref_perf.py"))
        if st["exit"] != 0 and not absent:
            bad.append(f"{part} {name}: {st['status']}")
print("rehearse: " + ("; ".join(bad) if bad else "only the authors' step failed: no .ref here"),
      file=sys.stderr)
sys.exit(1 if bad else 0)
PY
fi
echo "rehearse: both parts ran on the CPU within the device's limits ($out/part*/summary.md)"
