#pragma once
// GPU tests (named *_CUDA) skip where no GPU can be used, and say why: a CPU-only LibTorch (the
// build cannot use a GPU at all) or a CUDA LibTorch that sees no GPU (a machine problem). On a
// GPU machine ci/gpu/run.sh fails the run when any *_CUDA test skipped.
// DTI_TORCH_HAS_CUDA is defined by tests/CMakeLists.txt from the LibTorch the build found.

#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace dti::test {

/// Why a *_CUDA test cannot run in this process, or "" when a GPU is usable.
inline std::string cuda_unavailable_reason() {
  if (at::hasCUDA()) return "";
#if DTI_TORCH_HAS_CUDA
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return std::string(
             "this LibTorch has CUDA but sees no GPU (none present, or no usable driver; "
             "CUDA_VISIBLE_DEVICES=") +
         (visible != nullptr ? "'" + std::string(visible) + "'" : "unset") + ")";
#else
  return "this LibTorch is a CPU-only build; build against a CUDA LibTorch (ci/build.sh --torch "
         "cuda) to run it";
#endif
}

}  // namespace dti::test

/// First statement of a *_CUDA test.
#define DTI_SKIP_WITHOUT_CUDA()                                                     \
  if (const std::string why = ::dti::test::cuda_unavailable_reason(); !why.empty()) \
  GTEST_SKIP() << "GPU test skipped: " << why
