// Cropped grid sampling of the selection pass (core/transform_modules.h): equal bit for bit to
// LibTorch's at::grid_sampler, which it calls on each image's box of possibly non-zero pixels.
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <limits>

#include "core/bilinear_kernel.h"
#include "core/transform_modules.h"
#include "tests/support/bitwise.h"

namespace dti::core {
namespace {

using test::expect_bitwise_equal;
using test::expect_bitwise_equal_or_both_nan;

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

// A 4-image 16×16 layer grid with a NaN, an infinite, a huge negative and a huge positive
// coordinate in images 0-2, and image 3 wholly off the input.
at::Tensor non_finite_grid(uint64_t seed) {
  auto grid = affine_grid(position_thetas(4, seed), 16, 16).clone();
  grid[0][3][4][0] = std::numeric_limits<float>::quiet_NaN();
  grid[1][15][15][1] = std::numeric_limits<float>::infinity();
  grid[2][0][0][0] = -3e38f;
  grid[2][0][1][1] = 1e20f;
  grid[3].fill_(40.0f);
  return grid;
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
  auto grid = non_finite_grid(6);
  auto got = sample_grid_cropped(x, grid, false, 1.0);
  expect_bitwise_equal_or_both_nan(got, sampler(x, grid, false));
  EXPECT_EQ(got[3].abs().sum().item<float>(), 0.0f);
}

// With a gradient: output, input gradient and grid gradient equal LibTorch's bit for bit, for
// canvas widths whose rows do and do not start on the sampler's vector chunks.
TEST(SampleGridRows, OutputAndGradientsEqualLibTorch) {
  for (const int64_t W : {64, 35, 26}) {
    SCOPED_TRACE("canvas width " + std::to_string(W));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(W));
    auto x = at::rand({40, 5, 24, 24}, gen);
    auto theta = position_thetas(40, 9).requires_grad_(true);
    auto grad_out = at::randn({40, 5, 40, W}, gen);
    auto run = [&](bool rows) {
      auto xg = x.clone().requires_grad_(true);
      auto th = theta.detach().clone().requires_grad_(true);
      auto grid = affine_grid(th, 40, W);
      auto out = rows ? sample_grid_rows(xg, grid, false, 1.0) : sampler(xg, grid, false);
      out.backward(grad_out);
      return std::vector<at::Tensor>{out.detach(), xg.grad(), th.grad()};
    };
    auto want = run(false), got = run(true);
    for (size_t i = 0; i < want.size(); ++i) expect_bitwise_equal(got[i], want[i]);
    // What the model calls where a gradient is recorded.
    auto xg = x.clone().requires_grad_(true);
    auto out = sample_grid(xg, affine_grid(theta.detach(), 40, W), PaddingMode::kZeros, false);
    ASSERT_TRUE(out.requires_grad());
    expect_bitwise_equal(out.detach(), want[0]);
  }
}

// Only the grid needs a gradient (a sprite frozen), or only the input.
TEST(SampleGridRows, EitherInputAlone) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  auto x = at::rand({12, 3, 10, 10}, gen);
  auto grid = affine_grid(position_thetas(12, 12), 32, 32);
  auto grad_out = at::randn({12, 3, 32, 32}, gen);
  auto g1 = grid.clone().requires_grad_(true), g2 = grid.clone().requires_grad_(true);
  sample_grid_rows(x, g1, false, 1.0).backward(grad_out);
  sampler(x, g2, false).backward(grad_out);
  expect_bitwise_equal(g1.grad(), g2.grad());
  auto x1 = x.clone().requires_grad_(true), x2 = x.clone().requires_grad_(true);
  sample_grid_rows(x1, grid, false, 1.0).backward(grad_out);
  sampler(x2, grid, false).backward(grad_out);
  expect_bitwise_equal(x1.grad(), x2.grad());
}

// With a gradient and an output no larger than the input (the chosen sprites of pass 2): the
// written-out forward and LibTorch's backward give LibTorch's output and both gradients.
TEST(SampleGrid, WithGradientEqualsLibTorchBitForBit) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(30);
  auto theta = position_thetas(16, 31) * 0.7 + at::randn({16, 2, 3}, gen) * 0.2;
  auto grid0 = affine_grid(theta, 20, 20);
  for (int64_t C : {3, 5}) {
    auto x0 = at::rand({16, C, 20, 20}, gen);
    auto grad_out = at::randn({16, C, 20, 20}, gen);
    auto x1 = x0.clone().requires_grad_(true), x2 = x0.clone().requires_grad_(true);
    auto g1 = grid0.clone().requires_grad_(true), g2 = grid0.clone().requires_grad_(true);
    auto out1 = sample_grid(x1, g1, PaddingMode::kZeros, false);
    auto out2 = sampler(x2, g2, false);
    out1.backward(grad_out);
    out2.backward(grad_out);
    expect_bitwise_equal(out1.detach(), out2.detach());
    expect_bitwise_equal(x1.grad(), x2.grad());
    expect_bitwise_equal(g1.grad(), g2.grad());
  }
}

// The written-out sampler of the selection pass (core/bilinear_kernel.h) against LibTorch's, where
// the start-up check found them equal (a LibTorch that rounds otherwise keeps at::grid_sampler).
class BilinearSample : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!bilinear_matches_libtorch(false) || !bilinear_matches_libtorch(true))
      GTEST_SKIP() << "this LibTorch's sampler rounds otherwise: sample_grid uses at::grid_sampler";
  }
  static void expect_like_libtorch(const at::Tensor& x, const at::Tensor& grid, bool aligned) {
    auto want = sampler(x, grid, aligned);
    auto got = at::empty_like(want, at::MemoryFormat::Contiguous);
    bilinear_sample(x, grid, aligned, got);
    expect_bitwise_equal_or_both_nan(got, want);
  }
};

TEST_F(BilinearSample, SpritesOnTheCanvasAndTransformedSpritesEqualLibTorch) {
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  auto x = at::rand({40, 20, 28, 28}, gen);
  expect_like_libtorch(x, affine_grid(position_thetas(40, 22), 64, 64), false);
  auto theta = position_thetas(40, 23) * 0.5 + at::randn({40, 2, 3}, gen) * 0.2;
  expect_like_libtorch(x, affine_grid(theta, 28, 28), false);
  expect_like_libtorch(x, affine_grid(theta, 28, 28), true);
}

// Strided inputs as the model hands them: one stack expanded over the batch, a channel slice.
TEST_F(BilinearSample, ExpandedAndSlicedInputsEqualLibTorch) {
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(24);
  auto stack = at::rand({1, 15, 24, 24}, gen).expand({30, 15, 24, 24});
  auto grid = affine_grid(position_thetas(30, 25), 35, 35);
  expect_like_libtorch(stack, grid, false);
  expect_like_libtorch(at::rand({30, 8, 24, 24}, gen).narrow(1, 2, 5), grid, false);
}

// A grid stored pixel-major (TPS's [H·W, N, 2] product, permuted to [N,H,W,2]) is read in place.
TEST_F(BilinearSample, PixelMajorGridEqualsLibTorch) {
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(28);
  auto theta = position_thetas(12, 29) * 0.5 + at::randn({12, 2, 3}, gen) * 0.2;
  auto grid = affine_grid(theta, 28, 28).permute({1, 2, 0, 3}).contiguous().permute({2, 0, 1, 3});
  ASSERT_NE(grid.stride(2), 2);
  for (int64_t C : {2, 5}) expect_like_libtorch(at::rand({12, C, 28, 28}, gen), grid, false);
}

TEST_F(BilinearSample, NonFiniteAndFarCoordinatesEqualLibTorch) {
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(26);
  auto grid = non_finite_grid(27);
  for (int64_t C : {2, 6}) {  // channel by channel, and as a vector
    auto x = at::rand({4, C, 6, 6}, gen);
    for (bool aligned : {false, true}) expect_like_libtorch(x, grid, aligned);
  }
}

}  // namespace
}  // namespace dti::core
