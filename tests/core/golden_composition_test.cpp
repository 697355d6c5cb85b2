// Golden parity of the composition functions (composition.h5, compose.h5, init.h5 occlusion).
#include <gtest/gtest.h>

#include "core/composition.h"
#include "core/occlusion.h"
#include "tests/core/golden_support.h"

namespace dti::test {
namespace {

TEST(GoldenComposition, LayeredCompositionMatchesReference) {
  GoldenFile file(golden_path("composition.h5"));
  ASSERT_FALSE(file.cases().empty());
  for (const auto& c : file.cases()) {
    SCOPED_TRACE(c + " occ_kind=" + file.attr_string(c, "occ_kind"));
    auto out = core::layered_composition(
        load_tensor(file, c, "layers"), load_tensor(file, c, "masks"), load_tensor(file, c, "occ"));
    EXPECT_TRUE(all_close(out, load_tensor(file, c, "out"), 1e-5));
  }
}

TEST(GoldenComposition, ComposeMatchesReferenceInBothBranches) {
  GoldenFile file(golden_path("compose.h5"));
  ASSERT_FALSE(file.cases().empty());
  for (const auto& c : file.cases()) {
    const std::string branch = file.attr_string(c, "branch");
    SCOPED_TRACE(c + " branch=" + branch);
    auto layers = load_tensor(file, c, "layers");
    auto masks = load_tensor(file, c, "masks");
    auto occ = load_tensor(file, c, "occ");
    at::Tensor backgrounds;
    if (file.has_dataset(c, "backgrounds")) backgrounds = load_tensor(file, c, "backgrounds");
    at::Tensor out;
    if (branch == "class_prob") {
      // The model's class_prob branch takes one background layer [B,C,H,W].
      at::Tensor background = backgrounds.defined() ? backgrounds[0] : at::Tensor();
      out = core::compose_weighted(layers, masks, occ, load_tensor(file, c, "class_prob"),
                                   background);
    } else {
      out = core::compose_all(layers, masks, occ, backgrounds,
                              file.attr_int(c, "pred_occlusion") != 0);
    }
    EXPECT_TRUE(all_close(out, load_tensor(file, c, "out"), 1e-5));
  }
}

TEST(GoldenComposition, OcclusionGridMatchesReference) {
  GoldenFile file(golden_path("init.h5"));
  int checked = 0;
  for (const auto& c : file.cases()) {
    if (file.attr_string(c, "kind") != "occlusion_grid") continue;
    SCOPED_TRACE(c);
    const int64_t L = file.attr_int(c, "L"), B = file.attr_int(c, "B");
    at::Tensor grid = file.attr_int(c, "pred_occlusion") != 0
                          ? core::occlusion_from_logits(load_tensor(file, c, "logits"), L)
                          : core::fixed_occlusion(L, B);
    EXPECT_TRUE(all_close(grid, load_tensor(file, c, "grid"), 1e-6));
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace dti::test
