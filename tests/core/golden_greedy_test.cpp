// Golden parity of greedy selection (greedy.h5): responsibilities exactly, distances to 1e-5.
#include <gtest/gtest.h>

#include "core/greedy.h"
#include "tests/core/golden_support.h"

namespace dti::test {
namespace {

TEST(GoldenGreedy, SelectionsMatchReferenceExactly) {
  GoldenFile file(golden_path("greedy.h5"));
  ASSERT_FALSE(file.cases().empty());
  for (const auto& c : file.cases()) {
    SCOPED_TRACE(c + " occ_kind=" + file.attr_string(c, "occ_kind"));
    core::GreedyOptions options;
    options.iterations = file.attr_int(c, "greedy_algo_iter");
    options.has_empty_sprite = file.attr_int(c, "add_empty_sprite") != 0;
    options.sprites_frozen = file.attr_int(c, "are_sprite_frozen") != 0;
    options.lambda_empty = file.attr_double(c, "lambda_empty_sprite");
    at::Tensor background;
    if (file.attr_int(c, "has_bkgs")) background = load_tensor(file, c, "bkgs")[0];
    at::Tensor debug;
    auto result = core::greedy_select(load_tensor(file, c, "x"), load_tensor(file, c, "layers"),
                                      load_tensor(file, c, "masks"), background,
                                      load_tensor(file, c, "occ"), options, &debug);
    EXPECT_TRUE(at::equal(result.resps, load_tensor(file, c, "resps")))
        << "selection " << result.selection << "\nexpected resps\n"
        << load_tensor(file, c, "resps");
    auto expected = load_tensor(file, c, "debug_distances");
    ASSERT_EQ(debug.sizes(), expected.sizes());
    auto rel = ((debug - expected).abs() / expected.abs().clamp_min(1e-12)).max().item<double>();
    EXPECT_LE(rel, 1e-5) << "candidate distances differ from the reference";
  }
}

}  // namespace
}  // namespace dti::test
