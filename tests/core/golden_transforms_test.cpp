// Golden parity of every transformation module (transforms.h5) and the TPS grid (tps_grid.h5).
#include <gtest/gtest.h>

#include "core/transform.h"
#include "tests/core/golden_support.h"

namespace dti::test {
namespace {

double tolerance(core::TransformKind kind) {
  switch (kind) {
    case core::TransformKind::kColor:
    case core::TransformKind::kMorphological:
      return 1e-5;
    case core::TransformKind::kTps:
      return 3e-4;
    default:
      return 1e-4;
  }
}

TEST(GoldenTransforms, EveryModuleMatchesReference) {
  GoldenFile file(golden_path("transforms.h5"));
  ASSERT_FALSE(file.cases().empty());
  for (const auto& c : file.cases()) {
    const std::string name = file.attr_string(c, "module");
    SCOPED_TRACE(c + " module=" + name + " padding=" + file.attr_string(c, "padding_mode"));
    const auto kind = core::parse_transform_kind(name);
    core::TransformOptions options;
    options.out_size = {file.attr_int(c, "img_h"), file.attr_int(c, "img_w")};
    options.padding = file.attr_string(c, "padding_mode") == "border" ? core::PaddingMode::kBorder
                                                                      : core::PaddingMode::kZeros;
    if (file.has_attribute(c, "color_channels"))
      options.color_channels = file.attr_int(c, "color_channels");
    if (file.has_attribute(c, "grid_size")) options.grid_size = file.attr_int(c, "grid_size");
    if (file.has_attribute(c, "kernel_size")) options.kernel_size = file.attr_int(c, "kernel_size");
    auto module = core::make_transform(kind, options);
    auto x = load_tensor(file, c, "x");
    auto out = module->apply(x, load_tensor(file, c, "beta"));
    EXPECT_TRUE(all_close(out, load_tensor(file, c, "out"), tolerance(kind)));
    if (file.has_attribute(c, "zero_beta_is_identity") &&
        file.attr_int(c, "zero_beta_is_identity")) {
      EXPECT_TRUE(all_close(out, x, 1e-6)) << "beta = 0 must be the identity for this case";
    }
  }
}

TEST(GoldenTransforms, TpsGridMatchesReference) {
  GoldenFile file(golden_path("tps_grid.h5"));
  ASSERT_FALSE(file.cases().empty());
  for (const auto& c : file.cases()) {
    SCOPED_TRACE(c);
    core::TpsGrid tps(file.attr_int(c, "img_h"), file.attr_int(c, "img_w"),
                      file.attr_int(c, "grid_size"));
    EXPECT_TRUE(all_close(tps.target_points(), load_tensor(file, c, "target_points"), 1e-6));
    EXPECT_TRUE(all_close(tps.grid(load_tensor(file, c, "source_points")),
                          load_tensor(file, c, "grid"), 1e-4));
  }
}

}  // namespace
}  // namespace dti::test
