// The exhaustive selection's distances in one pass (core/composition_distances.cpp) against
// compose_all and LibTorch's operators: equal bit for bit, with strided inputs as the model
// hands them, one or two backgrounds, and stored or predicted occlusion.
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include "core/composition.h"
#include "core/occlusion.h"
#include "tests/support/bitwise.h"

namespace dti::test {
namespace {

TEST(CompositionDistances, OneLayerInOnePassEqualsComposeAllBitForBit) {
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const int64_t K = 4, B = 6, C = 3, H = 9, W = 7;
  for (int64_t M : {1, 2}) {
    for (bool predicted : {false, true}) {
      SCOPED_TRACE(M * 10 + predicted);
      // Sprites as the model splits them: channels of a [1,K,B,C+2,H,W] stack.
      auto items = at::rand({1, K, B, C + 2, H, W}, gen);
      auto layers = items.narrow(3, 0, C), masks = items.narrow(3, C, 1);
      auto backgrounds = at::rand({M, B, C, H, W}, gen);
      auto x = at::rand({B, C, H, W}, gen);
      auto occ = predicted ? at::rand({1, 1, B}, gen) : core::fixed_occlusion(1, B, x.options());
      auto got = core::composition_distances(x, layers, masks, occ, backgrounds, predicted);
      auto all = core::compose_all(layers, masks, occ, backgrounds, predicted);
      auto want = (all - x.unsqueeze(1)).pow(2).flatten(2).mean(2);
      expect_bitwise_equal(got, want);
    }
  }
}

}  // namespace
}  // namespace dti::test
