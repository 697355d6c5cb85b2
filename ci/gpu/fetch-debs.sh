#!/usr/bin/env bash
# Run HERE (a Debian machine with apt): downloads the Debian packages that the core library, its
# tests and the benchmark need besides LibTorch, into .debs/ (git-ignored), for a GPU machine that
# has CUDA, PyTorch, CMake and ninja but no internet and no apt. Then carry .debs there and run
# ci/gpu/build-and-test.sh. (Written for this suite's GPU sessions; not yet run on a GPU.)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .debs
# Headers and libraries used by core tests (HDF5 golden vectors, GoogleTest from source) and the
# benchmark; their shared-library dependencies are listed too, since the GPU image may lack them.
packages=(libhdf5-dev libhdf5-103-1 libsz2 libaec0 googletest libbenchmark-dev libbenchmark1debian)
(cd .debs && apt-get download "${packages[@]}")
ls -la .debs
