// The fused soft clamp of the selection pass (core/softclip.h): equal bit for bit to LibTorch's
// operators on the shapes the model hands it, and those operators wherever a gradient is recorded.
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/softclip.h"
#include "tests/support/bitwise.h"

namespace dti::core {
namespace {

at::Tensor expression(const at::Tensor& a, const at::Tensor& b, const at::Tensor& c) {
  return softclip(a + b * c);
}

// Values on both sides of 0 and 1, with 0, 1, -0 and both sides of the clamp's corners exactly.
at::Tensor values(at::IntArrayRef shape, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto t = at::rand(shape, gen) * 2.5 - 0.75;
  auto flat = t.view({-1});
  const float edges[] = {0.0f, 1.0f, -0.0f, 1e-8f, -1e-8f, 1.0f + 1e-7f, 1.0f - 6e-8f};
  for (int64_t i = 0; i < 7 && i < flat.numel(); ++i) flat[i * 3] = edges[i];
  return t;
}

using test::expect_bitwise_equal;

// The noisy masks of the selection pass: mask and canvas are channel slices of a permuted
// [L,K,B,C',H,W] view, the noise one map per sprite [1,K,1,1,H,W].
TEST(SoftclipAddMul, NoisyMasksOfAPermutedViewEqualTheOperators) {
  c10::NoGradGuard no_grad;
  const int64_t L = 3, K = 4, B = 5, C1 = 5, H = 9, W = 7;
  auto res = values({L * B, K * C1, H, W}, 1);
  auto items = res.view({L, B, K, C1, H, W}).permute({0, 2, 1, 3, 4, 5});
  auto parts = items.split_with_sizes({3, 1, 1}, 3);
  auto noise = values({1, K, 1, 1, H, W}, 2) * 0.8 - 0.4;
  expect_bitwise_equal(softclip_add_mul(parts[1], parts[2], noise),
                       expression(parts[1], parts[2], noise));
}

// The colour transformation: bias and scale per image and channel, the colour channels of a
// grouped [N,G,Cg,h,w] stack.
TEST(SoftclipAddMul, ColourTransformationEqualsTheOperators) {
  c10::NoGradGuard no_grad;
  const int64_t N = 6, G = 4, Cg = 5, Cc = 3, h = 11, w = 13;
  auto x = values({N, G * Cg, h, w}, 3).view({N, G, Cg, h, w}).narrow(2, 0, Cc);
  auto params = values({N, 1, Cc, 2}, 4) * 0.4 - 0.2;
  auto scale = 1 + params.select(3, 0).unsqueeze(-1).unsqueeze(-1);  // [N,1,Cc,1,1]
  auto bias = params.select(3, 1).unsqueeze(-1).unsqueeze(-1);
  expect_bitwise_equal(softclip_add_mul(bias, scale, x), expression(bias, scale, x));
}

TEST(SoftclipAddMul, NanStaysNan) {
  c10::NoGradGuard no_grad;
  auto a = at::zeros({2, 3, 4});
  a[1][2][3] = std::numeric_limits<float>::quiet_NaN();
  auto out = softclip_add_mul(a, at::ones({2, 3, 4}), at::full({2, 3, 4}, 0.5));
  EXPECT_TRUE(std::isnan(out[1][2][3].item<float>()));
  EXPECT_EQ(out.isnan().sum().item<int64_t>(), 1);
}

// Planes that are neither contiguous nor one broadcast value (a transposed map) take the
// operators, with the same result.
TEST(SoftclipAddMul, TransposedPlanesTakeTheOperators) {
  c10::NoGradGuard no_grad;
  auto a = values({3, 8, 6}, 5).transpose(1, 2);
  auto b = values({3, 6, 8}, 6), c = values({3, 6, 8}, 7);
  expect_bitwise_equal(softclip_add_mul(a, b, c), expression(a, b, c));
}

// With a gradient to record, the operators run: the same values and the soft clamp's gradient
// (1 inside [0,1], 1 + alpha on its corners, alpha outside, times c).
TEST(SoftclipAddMul, RecordsTheGradientOfTheOperators) {
  auto a = values({4, 5, 6}, 8).requires_grad_(true);
  auto b = at::full({4, 1, 1}, 1.5);
  auto c = values({4, 5, 6}, 9);
  auto out = softclip_add_mul(a, b, c);
  ASSERT_TRUE(out.requires_grad());
  out.sum().backward();
  auto a2 = a.detach().clone().requires_grad_(true);
  expression(a2, b, c).sum().backward();
  expect_bitwise_equal(a.grad(), a2.grad());
  c10::NoGradGuard no_grad;
  expect_bitwise_equal(softclip_add_mul(a, b, c), out.detach());
}

}  // namespace
}  // namespace dti::core
