#!/usr/bin/env bash
# Installs PyPI's LibTorch (the CUDA build of torch==$DTI_TORCH_VERSION, default 2.11.0: the GPU
# machine's version) into a virtualenv outside the source tree and prints its CMake prefix path as
# the last line of stdout (everything else goes to stderr), or with --python the venv's python.
# Idempotent: a venv that already imports that torch version is reused.
#   ci/build.sh --torch cuda     # calls this, then configures build-cuda/ against the prefix
#   cmake -DCMAKE_PREFIX_PATH="$(ci/install-torch.sh | tail -1)" ...
# The wheel's CUDA libraries (the nvidia-* wheels: cuDNN, cuBLAS, NCCL, ...) are installed with it:
# libtorch_cuda.so finds them through its RPATH, so programs linked against it load and run on a
# machine without a GPU (CUDA reports no device; tests named *_CUDA skip). About 2.8 GB to download
# (torch 531 MB, the nvidia-* wheels 2 GB, triton 188 MB), 4.6 GB on disk.
set -euo pipefail
version=${DTI_TORCH_VERSION:-2.11.0}
venv=${DTI_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dtisprites/venv-torch-$version}
python=${PYTHON:-python3}
print=prefix
case "${1:-}" in
  --python) print=python ;;
  "") ;;
  *) echo "usage: ci/install-torch.sh [--python]" >&2; exit 2 ;;
esac

prefix_of() {
  "$venv/bin/python" - "$version" 2>/dev/null <<'EOF'
import sys, warnings
warnings.simplefilter("ignore")
import torch
v = torch.__version__.split("+")[0]
if v != sys.argv[1]:
    sys.exit(1)
print(torch.utils.cmake_prefix_path)
EOF
}

if prefix=$(prefix_of) && [ -n "$prefix" ]; then
  echo "install-torch: torch $version present in $venv" >&2
else
  echo "install-torch: installing torch==$version into $venv (about 2.8 GB from PyPI)" >&2
  start=$(date +%s)
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check -q \
    "torch==$version" >&2
  prefix=$(prefix_of) || { echo "install-torch: torch $version does not import from $venv" >&2; exit 1; }
  echo "install-torch: done in $(($(date +%s) - start)) s, $(du -sh "$venv" | cut -f1) on disk" >&2
fi
if [ "$print" = python ]; then echo "$venv/bin/python"; else echo "$prefix"; fi
