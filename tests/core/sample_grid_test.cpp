// Cropped grid sampling of the selection pass (core/transform_modules.h): equal bit for bit to
// LibTorch's at::grid_sampler, which it calls on each image's box of possibly non-zero pixels.
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "core/transform_modules.h"

namespace dti::core {
namespace {

void expect_bitwise_equal(const at::Tensor& got, const at::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  auto g = got.contiguous(), w = want.contiguous();
  EXPECT_EQ(0, std::memcmp(g.data_ptr<float>(), w.data_ptr<float>(), g.numel() * sizeof(float)))
      << "max difference " << (g - w).abs().max().item<float>();
}

// θ of the layer transformation (scale e^s + 1, a translation) for N images; the translations
// reach past the canvas so that some sprites are cut and some are off it altogether.
at::Tensor position_thetas(int64_t N, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto s = at::randn({N}, gen) * 0.3, t = (at::rand({N, 2}, gen) * 2 - 1) * 3.5;
  auto scale = s.exp() + 1, zero = at::zeros({N});
  auto row0 = at::stack({scale, zero, t.select(1, 0)}, 1);
  auto row1 = at::stack({zero, scale, t.select(1, 1)}, 1);
  return at::stack({row0, row1}, 1);  // [N,2,3]
}

at::Tensor sampler(const at::Tensor& x, const at::Tensor& grid, bool align_corners) {
  return at::grid_sampler(x, grid, /*bilinear*/ 0, /*zeros*/ 0, align_corners);
}

TEST(SampleGridCropped, SpritesOnALargerCanvasEqualLibTorch) {
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  auto x = at::rand({48, 7, 12, 12}, gen);
  auto grid = affine_grid(position_thetas(48, 2), 30, 26);  // [48,30,26,2]
  auto want = sampler(x, grid, false);
  ASSERT_GT(want.eq(0).all(3).all(2).all(1).sum().item<int64_t>(), 0) << "no sprite off canvas";
  expect_bitwise_equal(sample_grid_cropped(x, grid, false, 1.0), want);
  // What the model calls: the output is larger than the input, so it is cropped.
  expect_bitwise_equal(sample_grid(x, grid, PaddingMode::kZeros, false), want);
}

TEST(SampleGridCropped, RotatedGridsAndAlignedCornersEqualLibTorch) {
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  auto x = at::rand({20, 3, 9, 11}, gen);
  auto theta = position_thetas(20, 4) + at::randn({20, 2, 3}, gen) * 0.4;
  for (bool aligned : {false, true}) {
    auto grid = affine_grid(theta, 25, 21);
    expect_bitwise_equal(sample_grid_cropped(x, grid, aligned, 1.0), sampler(x, grid, aligned));
  }
}

// NaN or infinite coordinates, and huge finite ones, are left to LibTorch wherever they are.
TEST(SampleGridCropped, NonFiniteCoordinatesAreLibTorchs) {
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  auto x = at::rand({4, 2, 6, 6}, gen);
  auto grid = affine_grid(position_thetas(4, 6), 16, 16).clone();
  grid[0][3][4][0] = std::numeric_limits<float>::quiet_NaN();
  grid[1][15][15][1] = std::numeric_limits<float>::infinity();
  grid[2][0][0][0] = -3e38f;
  grid[3].fill_(40.0f);  // wholly off the input
  auto want = sampler(x, grid, false);
  auto got = sample_grid_cropped(x, grid, false, 1.0);
  ASSERT_EQ(got.isnan().sum().item<int64_t>(), want.isnan().sum().item<int64_t>());
  expect_bitwise_equal(got.nan_to_num(7.0), want.nan_to_num(7.0));
  EXPECT_EQ(got[3].abs().sum().item<float>(), 0.0f);
}

// With a gradient to record, sample_grid is LibTorch's sampler: gradients reach the input.
TEST(SampleGridCropped, GradientsTakeLibTorchsSampler) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  auto x = at::rand({6, 3, 8, 8}, gen).requires_grad_(true);
  auto grid = affine_grid(position_thetas(6, 8), 20, 20);
  auto out = sample_grid(x, grid, PaddingMode::kZeros, false);
  ASSERT_TRUE(out.requires_grad());
  out.sum().backward();
  EXPECT_GT(x.grad().abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace dti::core
