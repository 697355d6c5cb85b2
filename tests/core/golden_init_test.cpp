// Golden parity of the initialisers and the soft clamp (init.h5).
#include <gtest/gtest.h>

#include "core/init.h"
#include "core/softclip.h"
#include "tests/core/golden_support.h"

namespace dti::test {
namespace {

TEST(GoldenInit, GaussianWeightsMatchScipyWindows) {
  GoldenFile file(golden_path("init.h5"));
  int checked = 0;
  for (const auto& c : file.cases()) {
    if (file.attr_string(c, "kind") != "gaussian_weights") continue;
    SCOPED_TRACE(c);
    auto out = core::gaussian_weights(file.attr_int(c, "img_h"), file.attr_int(c, "img_w"),
                                      file.attr_int(c, "n_channels"), file.attr_double(c, "std"));
    EXPECT_TRUE(all_close(out, load_tensor(file, c, "out"), 1e-6));
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(GoldenInit, SoftClampValuesAndExactGradient) {
  GoldenFile file(golden_path("init.h5"));
  int checked = 0;
  for (const auto& c : file.cases()) {
    if (file.attr_string(c, "kind") != "soft_clamp") continue;
    SCOPED_TRACE(c);
    auto x = load_tensor(file, c, "x").requires_grad_(true);
    auto out = core::softclip(x, file.attr_double(c, "alpha"));
    EXPECT_TRUE(all_close(out, load_tensor(file, c, "out"), 1e-6));
    if (file.has_dataset(c, "grad")) {
      out.sum().backward();
      EXPECT_TRUE(at::equal(x.grad(), load_tensor(file, c, "grad")))
          << "soft clamp gradient must be exact";
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace dti::test
