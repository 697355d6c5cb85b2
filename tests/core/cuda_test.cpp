// GPU tests (suffix _CUDA): the same model on the GPU computes what it computes on the CPU.
// Skipped when LibTorch has no CUDA or no GPU is visible, so CPU CI passes.
#include <gtest/gtest.h>

#include "core/greedy.h"
#include "core/model.h"
#include "core/occlusion.h"
#include "experiments/config/paper_model_options.h"
#include "tests/core/cuda_step.h"
#include "tests/support/cuda.h"

namespace dti::test {
namespace {

// Tetrominoes, Multi-dSprites and GTSRB-8 part-way through the curriculum (epoch 400).
TEST(Gpu, TrainingStepMatchesCpu_CUDA) {
  DTI_SKIP_WITHOUT_CUDA();
  for (const std::string name : {"tetrominoes", "multi_dsprites", "gtsrb8"}) {
    expect_step_matches(name, 400);
  }
}

TEST(Gpu, GreedySelectionMatchesCpuKernel_CUDA) {
  DTI_SKIP_WITHOUT_CUDA();
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
