// The CPU encoder's layout-only nodes (core/encoder.h: subsample_pad, pool_flatten) against
// LibTorch's operators: the same values and gradients bit for bit, the gradient in the input's
// channels-last layout; and a whole ResNet-20 step whose every BatchNorm then runs the exact node
// equal bit for bit to one with LibTorch's operators.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <vector>

#include "core/encoder.h"
#include "core/norm_relu.h"
#include "tests/support/bitwise.h"

namespace dti::test {
namespace {

const auto kChannelsLast = at::MemoryFormat::ChannelsLast;

// Values and input gradient of f and of reference on the same channels-last input.
void expect_like(const std::function<at::Tensor(const at::Tensor&)>& f,
                 const std::function<at::Tensor(const at::Tensor&)>& reference,
                 const at::Tensor& x0, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto x1 = x0.clone(kChannelsLast).requires_grad_(true);
  auto x2 = x0.clone(kChannelsLast).requires_grad_(true);
  auto y1 = f(x1), y2 = reference(x2);
  expect_bitwise_equal(y1.detach(), y2.detach());
  auto g = at::randn(y2.sizes(), gen);
  y1.backward(g);
  y2.backward(g);
  expect_bitwise_equal(x1.grad(), x2.grad());
  EXPECT_TRUE(x1.grad().is_contiguous(kChannelsLast));
}

TEST(EncoderLayout, SubsamplePadEqualsSliceAndPadWithAChannelsLastGradient) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  for (int64_t size : {9, 10}) {  // odd and even maps
    auto x = at::randn({4, 16, size, size + 1}, gen);
    expect_like([](const at::Tensor& t) { return core::subsample_pad(t, 8); },
                [](const at::Tensor& t) {
                  auto sub = t.slice(2, 0, c10::nullopt, 2).slice(3, 0, c10::nullopt, 2);
                  return at::constant_pad_nd(sub, {0, 0, 0, 0, 8, 8}, 0);
                },
                x, 2);
  }
}

TEST(EncoderLayout, PoolFlattenEqualsLibTorchWithAChannelsLastGradient) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  auto x = at::randn({4, 16, 8, 8}, gen);
  for (std::array<int64_t, 2> grid : {std::array<int64_t, 2>{0, 0}, {1, 1}, {4, 4}, {3, 2}}) {
    SCOPED_TRACE(grid[0]);
    expect_like(
        [grid](const at::Tensor& t) { return core::pool_flatten(t, grid); },
        [grid](const at::Tensor& t) {
          return (grid[0] > 0 ? at::adaptive_avg_pool2d(t, {grid[0], grid[1]}) : t).flatten(1);
        },
        x, 4);
  }
}

// Features, every parameter gradient and the running statistics of one ResNet-20 training step.
std::vector<at::Tensor> encoder_step(bool exact) {
  core::set_exact_norm_relu(exact);
  core::Encoder encoder({core::EncoderKind::kResNet20, 3, {0, 0}, false},
                        at::make_generator<at::CPUGeneratorImpl>(5));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(6);
  auto x = at::rand({16, 3, 16, 16}, gen);
  auto features = encoder.forward(x, /*training=*/true);
  (features * at::linspace(-1, 1, features.size(1))).sum().backward();
  std::vector<at::Tensor> out{features.detach()};
  for (const auto& p : encoder.parameters()) out.push_back(p.tensor.grad());
  for (const auto& b : encoder.buffers()) out.push_back(b.tensor);
  core::set_exact_norm_relu(true);
  return out;
}

TEST(EncoderLayout, WholeStepWithTheExactNodeEqualsLibTorchsOperatorsBitForBit) {
  if (!core::exact_norm_relu_active()) GTEST_SKIP() << "the exact node does not run here";
  auto exact = encoder_step(true), operators = encoder_step(false);
  ASSERT_EQ(exact.size(), operators.size());
  for (size_t i = 0; i < exact.size(); ++i) {
    SCOPED_TRACE(i);
    if (exact[i].scalar_type() == at::kFloat) {
      expect_bitwise_equal(exact[i], operators[i]);
    } else {
      EXPECT_TRUE(at::equal(exact[i], operators[i]));  // batch counters
    }
  }
}

}  // namespace
}  // namespace dti::test
