// Adam against a scalar re-derivation of torch 1.13's update, the multiplicity quirk, the
// zero_grad semantics, and the reassignment plan.
#include <gtest/gtest.h>
#include <torch/version.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "core/adam.h"
#include "core/adam_kernel.h"
#include "core/reassignment.h"

namespace dti::test {
namespace {

// torch.optim.Adam (1.13, single tensor) on one scalar, in double.
struct ScalarAdam {
  double m = 0, v = 0, p;
  int64_t t = 0;
  void step(double g, double lr, double wd) {
    t += 1;
    g += wd * p;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const double bc1 = 1 - std::pow(0.9, t), bc2 = 1 - std::pow(0.999, t);
    p -= lr / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + 1e-8);
  }
};

TEST(Adam, MatchesTorchUpdateWithWeightDecayAndRepeats) {
  auto w = at::tensor({0.5, -1.25}, at::kDouble).requires_grad_(true);
  core::Adam adam({{"w", w, 0, /*repeats=*/3}}, {{0.01, 0.1}});
  ScalarAdam ref0{0, 0, 0.5}, ref1{0, 0, -1.25};
  for (int step = 0; step < 4; ++step) {
    adam.zero_grad();
    auto loss = (w * w * w).sum();  // grad 3w²
    loss.backward();
    const double g0 = 3 * std::pow(w[0].item<double>(), 2),
                 g1 = 3 * std::pow(w[1].item<double>(), 2);
    adam.step();
    for (int r = 0; r < 3; ++r) {  // the same gradient applied three times in a row
      ref0.step(g0, 0.01, 0.1);
      ref1.step(g1, 0.01, 0.1);
    }
  }
  EXPECT_NEAR(w[0].item<double>(), ref0.p, 1e-12);
  EXPECT_NEAR(w[1].item<double>(), ref1.p, 1e-12);
  EXPECT_EQ(adam.state(0).step, 12);
}

// The one-pass CPU update (core/adam_kernel.h) against LibTorch's operators: equal bit for bit
// over steps, with and without weight decay, repeats, and sizes around the vector width and the
// threads' split. Where its check at first use fails (no FMA, LibTorch 2.x) both run the
// operators; on LibTorch 1.13 with FMA it must run.
TEST(Adam, FusedCpuUpdateEqualsTheOperatorsBitForBit) {
#if TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR == 13
  if (__builtin_cpu_supports("fma")) {
    EXPECT_TRUE(core::fused_adam_available());
  }
#endif
  auto make = [](bool fused, std::vector<at::Tensor>* out) {
    std::vector<core::AdamParameter> params;
    const std::vector<int64_t> sizes{1, 7, 33, 70001, 1000003};
    for (size_t i = 0; i < sizes.size(); ++i) {
      at::manual_seed(static_cast<uint64_t>(i));
      out->push_back((at::randn({sizes[i]}) * 0.1).requires_grad_(true));
      params.push_back({"p" + std::to_string(i), out->back(), i % 2, i == 3 ? 3 : 1});
    }
    core::AdamOptions options;
    options.fused_cpu_kernel = fused;
    return std::make_unique<core::Adam>(
        params, std::vector<core::AdamGroup>{{1e-4, 0.0}, {1e-3, 1e-6}}, options);
  };
  std::vector<at::Tensor> fused_params, plain_params;
  auto fused = make(true, &fused_params), plain = make(false, &plain_params);
  for (int step = 0; step < 5; ++step) {
    at::manual_seed(100 + static_cast<uint64_t>(step));
    for (size_t i = 0; i < fused_params.size(); ++i) {
      auto g = at::randn(fused_params[i].sizes()) * (i == 2 ? 1e-9 : 1e-3);
      fused_params[i].mutable_grad() = g.clone();
      plain_params[i].mutable_grad() = g.clone();
    }
    fused->step();
    plain->step();
  }
  for (size_t i = 0; i < fused_params.size(); ++i) {
    SCOPED_TRACE("tensor " + std::to_string(i));
    EXPECT_TRUE(at::equal(fused_params[i], plain_params[i]))
        << (fused_params[i] - plain_params[i]).abs().max().item<float>();
    EXPECT_TRUE(at::equal(fused->state(i).exp_avg, plain->state(i).exp_avg));
    EXPECT_TRUE(at::equal(fused->state(i).exp_avg_sq, plain->state(i).exp_avg_sq));
  }
}

// The one-pass loop itself (core::adam_update_loop), called on every LibTorch: where the check at
// first use keeps it off (LibTorch 2.x rounds a few parameters in a million otherwise) it must
// still be within a rounding of the operators, and the sanitized builds, whichever LibTorch they
// use, run it here over sizes around the vector width and the threads' split.
TEST(Adam, UpdateLoopIsWithinARoundingOfTheOperatorsOnEveryLibTorch) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    GTEST_SKIP() << "the loop is built for AVX2 with FMA; this CPU has not both";
  }
  for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{33}, int64_t{32768}, int64_t{70001}}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    at::manual_seed(static_cast<uint64_t>(n));
    auto p = at::randn({n}) * 0.1, m = at::zeros({n}), v = at::zeros({n});
    auto p0 = p.clone(), p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
    for (int64_t step = 1; step <= 3; ++step) {
      const core::AdamStepSettings settings{1e-3, step == 2 ? 1e-6 : 0.0, 0.9, 0.999, 1e-8, step};
      auto g = at::randn({n}) * 1e-3;
      core::adam_operators_update(p, g, m, v, settings);
      core::adam_update_loop(p2.data_ptr<float>(), g.data_ptr<float>(), m2.data_ptr<float>(),
                             v2.data_ptr<float>(), n, core::adam_scalars(settings));
    }
    EXPECT_FALSE(at::equal(p2, p0)) << "the loop moved nothing";
    // A rounding apart, at each tensor's scale (LibTorch 2.11 moves a parameter by one unit in
    // the last place, 1.5e-8 at 0.2); a wrong formula moves them by 1e-4 of that scale or more.
    const auto within = [](const at::Tensor& a, const at::Tensor& b) {
      return (a - b).abs().max().item<double>() <= 1e-6 * b.abs().max().item<double>();
    };
    EXPECT_TRUE(within(p2, p)) << (p2 - p).abs().max().item<float>();
    EXPECT_TRUE(within(m2, m)) << (m2 - m).abs().max().item<float>();
    EXPECT_TRUE(within(v2, v)) << (v2 - v).abs().max().item<float>();
  }
}

TEST(Adam, SkipsTensorsNeverUsedAndKeepsUpdatingUsedOnes) {
  auto used = at::ones({2}).requires_grad_(true);
  auto unused = at::ones({2}).requires_grad_(true);
  core::Adam adam({{"used", used, 0}, {"unused", unused, 0}}, {{0.1, 0.0}});
  (used * 2).sum().backward();
  adam.step();
  EXPECT_TRUE(at::equal(unused, at::ones({2}))) << "no gradient yet: untouched, like torch";
  EXPECT_FALSE(adam.state(1).exp_avg.defined());
  adam.zero_grad();
  ASSERT_TRUE(used.grad().defined()) << "zero_grad keeps the gradient tensor (set_to_none=False)";
  auto before = used.clone();
  adam.step();  // zero gradient, but the momentum still moves the tensor (reference behaviour)
  EXPECT_FALSE(at::equal(used, before));
}

TEST(Adam, CopiesStateSlices) {
  auto w = at::zeros({3, 2}).requires_grad_(true);
  core::Adam adam({{"w", w, 0}}, {{0.1, 0.0}});
  (w * at::arange(6, at::kFloat).view({3, 2})).sum().backward();
  adam.step();
  adam.copy_state_slice(0, 0, /*dst=*/0, /*src=*/2);
  EXPECT_TRUE(at::equal(adam.state(0).exp_avg[0], adam.state(0).exp_avg[2]));
  EXPECT_TRUE(at::equal(adam.state(0).exp_avg_sq[0], adam.state(0).exp_avg_sq[2]));
}

TEST(Adam, StateRoundTripsThroughNamedTensors) {
  auto w = at::zeros({2}).requires_grad_(true);
  core::Adam adam({{"w", w, 0, 2}}, {{0.1, 0.0}});
  (w * 3).sum().backward();
  adam.step();
  auto saved = adam.state_tensors();
  auto w2 = w.detach().clone().requires_grad_(true);
  core::Adam other({{"w", w2, 0, 2}}, {{0.1, 0.0}});
  other.load_state_tensors(saved);
  EXPECT_EQ(other.state(0).step, 2);
  EXPECT_TRUE(at::equal(other.state(0).exp_avg, adam.state(0).exp_avg));
}

TEST(Adam, RejectsInvalidSettings) {
  auto w = at::zeros({1}).requires_grad_(true);
  EXPECT_THROW(core::Adam({{"w", w, 0}}, {{0.0, 0.0}}), dti::Error);
  EXPECT_THROW(core::Adam({{"w", w, 1}}, {{0.1, 0.0}}), dti::Error);
}

TEST(Reassignment, EmptySpriteShareIsDroppedAndRestNormalised) {
  // Real sprites used 0.5, 0.05, 0.3; the empty one 0.15. Normalised: 1, 0.1, 0.6.
  auto plan = core::plan_reassignment({0.5, 0.05, 0.3, 0.15}, true, 0.2 / 3);
  EXPECT_EQ(plan.source, 0);
  EXPECT_TRUE(plan.reassigned.empty()) << "0.1 >= 0.2/3";
  plan = core::plan_reassignment({0.5, 0.01, 0.3, 0.15}, true, 0.2 / 3);
  EXPECT_EQ(plan.reassigned, (std::vector<int64_t>{1}));
  EXPECT_NEAR(plan.proportions[1], 0.02, 1e-12);
}

TEST(Reassignment, WithoutEmptySpriteRawProportionsAreCompared) {
  auto plan = core::plan_reassignment({0.6, 0.39, 0.01}, false, 0.2 / 3);
  EXPECT_EQ(plan.source, 0);
  EXPECT_EQ(plan.reassigned, (std::vector<int64_t>{2}));
}

TEST(Reassignment, NoRealSpriteUsedReassignsNothing) {
  auto plan = core::plan_reassignment({0, 0, 1}, true, 0.1);
  EXPECT_TRUE(plan.reassigned.empty());
}

}  // namespace
}  // namespace dti::test
