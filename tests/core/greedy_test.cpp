// Greedy selection properties: with one layer it equals the exhaustive minimum.
#include <gtest/gtest.h>

#include "core/composition.h"
#include "core/greedy.h"
#include "core/occlusion.h"

namespace dti::test {
namespace {

TEST(Greedy, OneLayerEqualsBruteForce) {
  at::manual_seed(3);
  const int64_t K = 5, B = 6, C = 3, H = 7, W = 5;
  auto layers = at::rand({1, K, B, C, H, W});
  auto masks = at::rand({1, K, B, 1, H, W});
  auto background = at::rand({B, C, H, W});
  auto x = at::rand({B, C, H, W});
  auto occ = core::fixed_occlusion(1, B);
  auto greedy = core::greedy_select(x, layers, masks, background, occ, {});
  auto all = core::compose_all(layers, masks, occ, background.unsqueeze(0), false);  // [B,K,C,H,W]
  auto brute = (all - x.unsqueeze(1)).pow(2).flatten(2).mean(2).argmin(1);           // [B]
  EXPECT_TRUE(at::equal(greedy.selection[0], brute));
}

TEST(Greedy, OneOpaqueLayerComposesToItself) {
  const int64_t B = 2, C = 3, H = 4, W = 4;
  auto layer = at::rand({1, B, C, H, W});
  auto out =
      core::layered_composition(layer, at::ones({1, B, 1, H, W}), core::fixed_occlusion(1, B));
  EXPECT_TRUE(at::equal(out, layer[0]));
}

}  // namespace
}  // namespace dti::test

namespace dti::test {
namespace {

TEST(Greedy, FusedCpuKernelMatchesTensorPath) {
  at::manual_seed(5);
  const int64_t L = 4, K = 5, B = 3, C = 3, H = 9, W = 13;  // H·W not a multiple of the block
  auto x = at::rand({B, C, H, W});
  auto layers = at::rand({L, K, B, C, H, W});
  auto masks = at::rand({L, K, B, 1, H, W});
  masks.select(1, K - 1).zero_();
  layers.select(1, K - 1).zero_();
  auto occ = at::rand({L, L, B});  // arbitrary, diagonal included: the general formula
  for (bool frozen : {false, true}) {
    core::GreedyOptions options;
    options.iterations = 2;
    options.has_empty_sprite = true;
    options.lambda_empty = 1e-3;
    options.sprites_frozen = frozen;
    at::Tensor d_fused, d_tensor;
    auto fused = core::greedy_select(x, layers, masks, x * 0.5, occ, options, &d_fused);
    options.fused_cpu_kernel = false;
    auto tensor = core::greedy_select(x, layers, masks, x * 0.5, occ, options, &d_tensor);
    EXPECT_TRUE(at::equal(fused.selection, tensor.selection));
    EXPECT_TRUE(at::allclose(d_fused, d_tensor, 1e-5, 1e-7));
    EXPECT_TRUE(at::allclose(fused.distance, tensor.distance, 1e-5, 1e-7));
  }
}

}  // namespace
}  // namespace dti::test
