// Transformation properties: β = 0 gives the documented transform, curriculum activation, name
// parsing errors.
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <limits>

#include "core/transformation_network.h"
#include "tests/core/golden_support.h"
#include "tests/support/bitwise.h"
#include "tests/support/expect_error.h"

namespace dti::test {
namespace {

TEST(Transforms, PositionAtZeroShowsSpriteAtHalfSizeInTheCentre) {
  core::TransformOptions options;
  options.out_size = {8, 8};
  auto module = core::make_transform(core::TransformKind::kPosition, options);
  auto out = module->apply(at::ones({1, 1, 4, 4}), at::zeros({1, 3}));
  auto expected = at::zeros({1, 1, 8, 8});
  expected.narrow(2, 2, 4).narrow(3, 2, 4).fill_(1);
  EXPECT_TRUE(all_close(out, expected, 1e-6));
}

TEST(Transforms, ColorSimilarityAffineProjectiveAreIdentityAtZero) {
  auto x = at::rand({2, 4, 6, 6});
  core::TransformOptions options;
  options.out_size = {6, 6};
  for (auto kind : {core::TransformKind::kColor, core::TransformKind::kSimilarity,
                    core::TransformKind::kAffine, core::TransformKind::kProjective}) {
    SCOPED_TRACE(core::to_string(kind));
    auto module = core::make_transform(kind, options);
    EXPECT_TRUE(all_close(module->apply(x, at::zeros({2, module->num_parameters()})), x, 1e-6));
  }
}

// The projective module without gradient computes its grid in one pass of its own (the
// selection pass): equal bit for bit to its operators', incl. w ≈ 0 (no division) and NaN.
TEST(Transforms, ProjectiveWithoutGradientEqualsItsOperatorsBitForBit) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
  auto x = at::rand({6, 5, 28, 28}, gen);
  auto beta = at::randn({6, 9}, gen) * 0.3;
  beta[1].zero_();
  beta[1][8] = -1.0f;  // w = 0 everywhere
  beta[2][6] = std::numeric_limits<float>::quiet_NaN();
  beta[3][6] = 2.0f;  // w crosses 0 inside the image
  core::TransformOptions options;
  options.out_size = {28, 28};
  auto module = core::make_transform(core::TransformKind::kProjective, options);
  at::Tensor one_pass;
  {
    c10::NoGradGuard no_grad;
    one_pass = module->apply(x, beta);
  }
  auto operators = module->apply(x, beta.clone().requires_grad_(true)).detach();
  expect_bitwise_equal_or_both_nan(one_pass, operators);
}

TEST(Transforms, UnknownNamesListTheValidOnes) {
  const auto parse = [] { core::parse_transform_sequence("color_projectiv_tps"); };
  EXPECT_TRUE(error_contains(parse, "unknown transformation 'projectiv'"));
  EXPECT_TRUE(error_contains(parse, "projective"));
  EXPECT_TRUE(error_contains(parse, "color_projectiv_tps"));
}

TEST(Transforms, CurriculumSwitchesModulesOnAtMilestones) {
  core::TransformationNetworkOptions options;
  options.sequence = "color_projective_tps";
  options.curriculum = {100, 350};
  options.count = 2;
  options.features = 8;
  options.transform.out_size = {6, 6};
  core::TransformationNetwork network(options, at::make_generator<at::CPUGeneratorImpl>(0));
  EXPECT_TRUE(network.active(0, 0));
  EXPECT_FALSE(network.active(1, 99));
  EXPECT_TRUE(network.active(1, 100));
  EXPECT_FALSE(network.active(2, 349));
  EXPECT_TRUE(network.active(2, 350));
  auto betas = network.predict(at::rand({3, 8}), 120);
  EXPECT_TRUE(betas[0].defined() && betas[1].defined());
  EXPECT_FALSE(betas[2].defined());
  EXPECT_EQ(betas[1].sizes(), (at::IntArrayRef{2, 3, 9}));
  EXPECT_TRUE(at::equal(betas[1], at::zeros_like(betas[1]))) << "predictors start at beta = 0";
}

TEST(Transforms, CurriculumOfWrongLengthIsRejected) {
  core::TransformationNetworkOptions options;
  options.sequence = "color_projective_tps";
  options.curriculum = {100};
  EXPECT_ERROR_CONTAINS(options.validate("transformation_sequence"), "needs 2 milestone(s)");
}

}  // namespace
}  // namespace dti::test
