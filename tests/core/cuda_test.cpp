// GPU tests (suffix _CUDA): the same model on the GPU computes what it computes on the CPU.
// Skipped when LibTorch has no CUDA or no GPU is visible, so CPU CI passes.
#include <gtest/gtest.h>

#include "core/greedy.h"
#include "core/model.h"
#include "core/occlusion.h"
#include "experiments/paper_model_options.h"
#include "tests/core/golden_support.h"

namespace dti::test {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device: GPU test skipped"

TEST(Gpu, TrainingStepMatchesCpu_CUDA) {
  SKIP_WITHOUT_CUDA();
  for (const std::string name : {"tetrominoes", "multi_dsprites", "gtsrb8"}) {
    SCOPED_TRACE(name);
    auto options = experiments::paper_model_options(name);
    core::DtiSprites cpu(options, 5), gpu(options, 5);
    gpu.to(at::Device("cuda"));
    cpu.set_epoch(400);
    gpu.set_epoch(400);
    auto x = at::rand({4, 3, options.image_size[0], options.image_size[1]});
    auto a = cpu.forward_train(x);
    auto b = gpu.forward_train(x.to(at::kCUDA));
    EXPECT_TRUE(at::equal(a.selection, b.selection.cpu()));
    EXPECT_NEAR(a.loss.item<double>(), b.loss.item<double>(), 1e-4);
    a.loss.backward();
    b.loss.backward();
    auto pa = cpu.parameters(), pb = gpu.parameters();
    for (size_t i = 0; i < pa.size(); ++i) {
      if (!pa[i].tensor.grad().defined()) continue;
      const double scale = std::max(1.0, pa[i].tensor.grad().abs().max().item<double>());
      EXPECT_TRUE(all_close(pb[i].tensor.grad().cpu(), pa[i].tensor.grad(), 1e-3 * scale))
          << pa[i].name;
    }
  }
}

TEST(Gpu, GreedySelectionMatchesCpuKernel_CUDA) {
  SKIP_WITHOUT_CUDA();
  at::manual_seed(2);
  const int64_t L = 3, K = 4, B = 5, C = 3, H = 16, W = 16;
  auto x = at::rand({B, C, H, W});
  auto layers = at::rand({L, K, B, C, H, W});
  auto masks = at::rand({L, K, B, 1, H, W});
  auto occ = core::fixed_occlusion(L, B);
  core::GreedyOptions options;
  options.iterations = 2;
  auto cpu = core::greedy_select(x, layers, masks, x * 0.3, occ, options);
  auto gpu = core::greedy_select(x.cuda(), layers.cuda(), masks.cuda(), (x * 0.3).cuda(),
                                 occ.cuda(), options);
  EXPECT_TRUE(at::equal(cpu.selection, gpu.selection.cpu()));
}

}  // namespace
}  // namespace dti::test
