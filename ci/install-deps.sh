#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need. Idempotent.
# Run as root (CI) or through sudo.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-pthread          # LibTorch 1.13 (CPU); OpenBLAS instead of reference BLAS
  libhdf5-dev zlib1g-dev                     # dataset and golden-vector files
  libprotobuf-dev protobuf-compiler          # DeepMind TFRecord converters
  libmatio-dev libstb-dev                    # SVHN .mat files; PNG/JPEG/PPM images
  libsqlite3-dev libyaml-cpp-dev libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-format
  clang                                      # ci/fuzz.sh: libFuzzer harnesses with ASan+UBSan
  chromium                                   # headless screenshot test of the HTML report
  slurm-wlm munge                            # one-node Slurm for the `slurm` tests (launcher)
  python3-venv                               # ci/install-tensorboard.sh (TensorBoard's reader)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
