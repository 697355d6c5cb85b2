#pragma once
// Bit-for-bit comparison of float32 tensors, for code that must compute what LibTorch computes.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstring>

namespace dti::test {

/// got and want hold the same float32 bits (NaN payloads and the sign of zero included).
inline void expect_bitwise_equal(const at::Tensor& got, const at::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  auto g = got.contiguous(), w = want.contiguous();
  EXPECT_EQ(0, std::memcmp(g.data_ptr<float>(), w.data_ptr<float>(), g.numel() * sizeof(float)))
      << "max difference " << (g - w).abs().max().item<float>();
}

/// NaN where want has NaN, and the same bits everywhere else.
inline void expect_bitwise_equal_or_both_nan(const at::Tensor& got, const at::Tensor& want) {
  ASSERT_TRUE(at::equal(got.isnan(), want.isnan())) << "NaN in other places";
  expect_bitwise_equal(got.nan_to_num(7.0), want.nan_to_num(7.0));
}

}  // namespace dti::test
