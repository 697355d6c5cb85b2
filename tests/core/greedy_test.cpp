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
  auto brute = (all - x.unsqueeze(1)).pow(2).flatten(2).mean(2).argmin(1);          // [B]
  EXPECT_TRUE(at::equal(greedy.selection[0], brute));
}

TEST(Greedy, OneOpaqueLayerComposesToItself) {
  const int64_t B = 2, C = 3, H = 4, W = 4;
  auto layer = at::rand({1, B, C, H, W});
  auto out = core::layered_composition(layer, at::ones({1, B, 1, H, W}), core::fixed_occlusion(1, B));
  EXPECT_TRUE(at::equal(out, layer[0]));
}

}  // namespace
}  // namespace dti::test
