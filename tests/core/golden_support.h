#pragma once
// Helpers for the core golden tests: golden arrays as tensors and an allclose that prints the
// worst element.

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "tests/support/golden_h5.h"

namespace dti::test {

/// Float32 dataset `name` of `group` as a tensor of the stored shape.
inline at::Tensor load_tensor(const GoldenFile& file, const std::string& group,
                              const std::string& name) {
  auto a = file.read_float(group, name);
  return at::from_blob(a.values.data(), a.shape, at::kFloat).clone();
}

/// Int64 dataset as a tensor.
inline at::Tensor load_long(const GoldenFile& file, const std::string& group,
                            const std::string& name) {
  auto a = file.read_int64(group, name);
  return at::from_blob(a.values.data(), a.shape, at::kLong).clone();
}

/// Shapes equal and max |actual − expected| ≤ tol; on failure names the worst element.
inline ::testing::AssertionResult all_close(const at::Tensor& actual, const at::Tensor& expected,
                                            double tol) {
  if (actual.sizes() != expected.sizes()) {
    std::ostringstream msg;
    msg << "shape " << actual.sizes() << " != expected " << expected.sizes();
    return ::testing::AssertionFailure() << msg.str();
  }
  if (actual.numel() == 0) return ::testing::AssertionSuccess();
  auto diff = (actual.to(at::kDouble) - expected.to(at::kDouble)).abs().flatten();
  const int64_t worst = diff.argmax().item<int64_t>();
  const double err = diff[worst].item<double>();
  if (err <= tol && !std::isnan(err)) return ::testing::AssertionSuccess();
  std::ostringstream msg;
  msg << "max abs error " << err << " > " << tol << " at flat index " << worst << " (actual "
      << actual.flatten()[worst].item<double>() << ", expected "
      << expected.flatten()[worst].item<double>() << ")";
  return ::testing::AssertionFailure() << msg.str();
}

}  // namespace dti::test
