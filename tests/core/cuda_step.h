#pragma once
// One training step of a paper config on the CPU and on the GPU from the same parameters and
// batch, compared with GPU tolerances (the *_CUDA tests of cuda_test.cpp and
// cuda_trainer_test.cpp).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>

#include "core/model.h"
#include "core/precision.h"
#include "experiments/config/paper_model_options.h"
#include "tests/core/golden_support.h"

namespace dti::test {

// float32 reductions run in another order on the GPU (cuDNN convolutions, atomics in
// grid_sample's backward), so losses agree to 1e-4 and gradients to 1e-3 of their largest value.
constexpr double kCudaLossTolerance = 1e-4;
constexpr double kCudaGradTolerance = 1e-3;

/// Compares a step of `name` at `epoch` on both devices. Both run in float32: TF32 (cuDNN's
/// default for convolutions in recent LibTorch) is switched off first, as training.precision:
/// fp32 does. An image whose chosen sprites differ must be a near-tie: the errors of the two
/// choices agree within the loss tolerance; gradients are then not comparable and are skipped
/// for this config, with a note in the test output.
inline void expect_step_matches(const std::string& name, int64_t epoch, int64_t batch = 4) {
  SCOPED_TRACE(name + " epoch " + std::to_string(epoch));
  core::apply_matmul_precision(core::Precision::kFp32);
  auto options = experiments::paper_model_options(name);
  core::DtiSprites cpu(options, 5), gpu(options, 5);
  gpu.to(at::Device("cuda"));
  cpu.set_epoch(epoch);
  gpu.set_epoch(epoch);
  at::manual_seed(11);
  auto x = at::rand({batch, options.channels, options.image_size[0], options.image_size[1]});
  auto a = cpu.forward_train(x);
  auto b = gpu.forward_train(x.to(at::kCUDA));
  const auto same = (a.selection == b.selection.cpu()).all(0);  // [B]: image chose the same
  const auto da = a.distance, db = b.distance.cpu();
  int ties = 0;
  for (int64_t i = 0; i < batch; ++i) {
    if (same[i].item<bool>()) continue;
    const double x1 = da[i].item<double>(), x2 = db[i].item<double>();
    EXPECT_LE(std::abs(x1 - x2), kCudaLossTolerance * std::max(1.0, std::abs(x1)))
        << "image " << i << " chose other sprites on the GPU and is no near-tie: errors " << x1
        << " (CPU) and " << x2 << " (GPU)";
    ++ties;
  }
  EXPECT_NEAR(a.loss.item<double>(), b.loss.item<double>(), kCudaLossTolerance);
  if (ties > 0) {
    std::cout << name << " epoch " << epoch << ": " << ties << " of " << batch
              << " images chose other sprites in a near-tie; gradients not compared\n";
    return;
  }
  a.loss.backward();
  b.loss.backward();
  auto pa = cpu.parameters(), pb = gpu.parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    ASSERT_EQ(pa[i].tensor.grad().defined(), pb[i].tensor.grad().defined()) << pa[i].name;
    if (!pa[i].tensor.grad().defined()) continue;
    const double scale = std::max(1.0, pa[i].tensor.grad().abs().max().item<double>());
    EXPECT_TRUE(
        all_close(pb[i].tensor.grad().cpu(), pa[i].tensor.grad(), kCudaGradTolerance * scale))
        << pa[i].name;
  }
}

}  // namespace dti::test
