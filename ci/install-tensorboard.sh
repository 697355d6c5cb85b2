#!/usr/bin/env bash
# Installs PyPI's `tensorboard` package into a virtualenv outside the source tree and prints the
# venv's python as the last line of stdout (everything else goes to stderr). The tests that read
# our event files with TensorBoard's own reader (tests/reports/read_tfevents.py) use this venv and
# skip, saying so, when it is absent. Idempotent: a venv that already imports tensorboard is reused.
#   ci/install-tensorboard.sh        # about 90 s and 180 MB (numpy, grpcio, protobuf) the first time
#   DTI_TENSORBOARD_VENV=DIR         # another folder (the tests look there too)
set -euo pipefail
venv=${DTI_TENSORBOARD_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dtisprites/venv-tensorboard}
python=${PYTHON:-python3}

imports() { "$venv/bin/python" -c "import tensorboard" 2>/dev/null; }

if imports; then
  echo "install-tensorboard: tensorboard present in $venv" >&2
else
  echo "install-tensorboard: installing tensorboard into $venv (PyPI)" >&2
  start=$(date +%s)
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check -q tensorboard >&2
  imports || { echo "install-tensorboard: tensorboard does not import from $venv" >&2; exit 1; }
  echo "install-tensorboard: done in $(($(date +%s) - start)) s, $(du -sh "$venv" | cut -f1) on disk" >&2
fi
echo "$venv/bin/python"
