// The fused BatchNorm + residual + ReLU node (core/norm_relu.h) against LibTorch's own operators
// on the same inputs: output, running statistics and every gradient, for channel counts that take
// the tiled kernels (16, 64) and the row-by-row ones (24), and for row counts that leave a partial
// tile and a partial block.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <tuple>

#include "core/encoder.h"
#include "core/norm_relu.h"

namespace dti::test {
namespace {

struct Result {
  at::Tensor out, dy, dweight, dbias, dresidual, running_mean, running_var;
};

Result run(bool fused, const at::Tensor& y0, const at::Tensor& residual0, const at::Tensor& grad) {
  const int64_t C = y0.size(1);
  auto y = y0.clone().requires_grad_(true);
  auto residual = residual0.defined() ? residual0.clone().requires_grad_(true) : at::Tensor();
  core::NormParameters n;
  n.weight = at::linspace(0.5, 1.5, C).requires_grad_(true);
  n.bias = at::linspace(-0.2, 0.3, C).requires_grad_(true);
  n.running_mean = at::full({C}, 0.1);
  n.running_var = at::full({C}, 2.0);
  auto out = core::norm_relu(y, residual, n, fused);
  out.backward(grad);
  return {out.detach(),
          y.grad(),
          n.weight.grad(),
          n.bias.grad(),
          residual.defined() ? residual.grad() : at::Tensor(),
          n.running_mean,
          n.running_var};
}

void expect_close(const at::Tensor& fused, const at::Tensor& reference, const char* what) {
  ASSERT_TRUE(fused.defined()) << what;
  ASSERT_EQ(fused.sizes(), reference.sizes()) << what;
  const double scale = reference.abs().max().item<double>() + 1e-6;
  const double diff = (fused - reference).abs().max().item<double>();
  EXPECT_LE(diff, 2e-5 * scale) << what << ": max |fused - LibTorch| " << diff << " of " << scale;
}

class NormRelu : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, bool>> {};

TEST_P(NormRelu, MatchesLibTorchOperators) {
  const auto [C, side, with_residual] = GetParam();
  at::manual_seed(7);
  const auto cl = at::MemoryFormat::ChannelsLast;
  // A mean far from zero checks that the variance is computed about the mean.
  auto y = (at::randn({5, C, side, side}) * 3 + 4).contiguous(cl);
  auto residual = with_residual ? at::randn({5, C, side, side}).contiguous(cl) : at::Tensor();
  auto grad = at::randn({5, C, side, side});  // NCHW: the node takes any layout of gradient
  ASSERT_TRUE(core::fused_norm_relu_applies(y));
  auto fused = run(true, y, residual, grad);
  auto reference = run(false, y, residual, grad);
  expect_close(fused.out, reference.out, "output");
  expect_close(fused.dy, reference.dy, "gradient of the input");
  expect_close(fused.dweight, reference.dweight, "gradient of the weight");
  expect_close(fused.dbias, reference.dbias, "gradient of the bias");
  expect_close(fused.running_mean, reference.running_mean, "running mean");
  expect_close(fused.running_var, reference.running_var, "running variance");
  if (with_residual) expect_close(fused.dresidual, reference.dresidual, "gradient of the residual");
  EXPECT_TRUE(fused.out.is_contiguous(cl));
}

// 5·7·7 = 245 rows: less than one block of 256 and a partial tile for C = 16; 5·13·13 = 845 rows:
// three full blocks and a partial one.
INSTANTIATE_TEST_SUITE_P(Shapes, NormRelu,
                         ::testing::Combine(::testing::Values(16, 24, 64), ::testing::Values(7, 13),
                                            ::testing::Bool()));

TEST(NormRelu, FallsBackWhereTheKernelsDoNotApply) {
  auto nchw = at::randn({2, 16, 5, 5});
  EXPECT_FALSE(core::fused_norm_relu_applies(nchw));
  EXPECT_FALSE(core::fused_norm_relu_applies(nchw.to(at::kDouble)));
  EXPECT_TRUE(core::fused_norm_relu_applies(nchw.contiguous(at::MemoryFormat::ChannelsLast)));
  // Asked to fuse an NCHW tensor, the node gives LibTorch's result.
  auto params = [] {
    return core::NormParameters{at::ones({16}), at::zeros({16}), at::zeros({16}), at::ones({16})};
  };
  auto a = core::norm_relu(nchw, {}, params(), /*fused=*/true);
  auto b = core::norm_relu(nchw, {}, params(), /*fused=*/false);
  EXPECT_TRUE(at::equal(a, b));
}

TEST(NormRelu, EncoderStepAgreesWithSeparateOperators) {
  // A whole ResNet-20 training step (forward, backward) with the fused node and without. BatchNorm
  // over a handful of values (near-zero variance) amplifies any rounding difference into the
  // gradients, so the batch and image keep 256 values per channel at the last stage (4×4 maps).
  auto step = [](bool fused) {
    core::Encoder encoder({core::EncoderKind::kResNet20, 3, {0, 0}, fused},
                          at::make_generator<at::CPUGeneratorImpl>(3));
    at::manual_seed(11);
    auto x = at::rand({16, 3, 16, 16});
    auto features = encoder.forward(x, /*training=*/true);
    (features * at::linspace(-1, 1, features.size(1))).sum().backward();
    std::vector<at::Tensor> out{features.detach()};
    for (const auto& p : encoder.parameters()) out.push_back(p.tensor.grad());
    for (const auto& b : encoder.buffers()) out.push_back(b.tensor);
    return out;
  };
  auto fused = step(true), reference = step(false);
  ASSERT_EQ(fused.size(), reference.size());
  for (size_t i = 0; i < fused.size(); ++i) {
    SCOPED_TRACE(i);
    if (fused[i].scalar_type() == at::kLong) {
      EXPECT_TRUE(at::equal(fused[i], reference[i]));
    } else {
      const double scale = reference[i].abs().max().item<double>() + 1e-6;
      EXPECT_LE((fused[i] - reference[i]).abs().max().item<double>(), 1e-4 * scale) << scale;
    }
  }
}

}  // namespace
}  // namespace dti::test
