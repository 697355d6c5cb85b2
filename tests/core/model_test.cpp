// Model tests: parameter counts of the paper configs, the fast training pass against the
// authors' single-pass formulation (same loss, same gradients), gradients reaching every
// parameter group, shape errors, freezing, noise and reassignment.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <map>

#include "core/model.h"
#include "experiments/config/paper_model_options.h"
#include "tests/core/golden_support.h"
#include "tests/support/expect_error.h"

namespace dti::test {
namespace {

using core::DtiSprites;
using core::ModelOptions;

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override { at::manual_seed(1234); }
};

// Small versions of the paper configs (same structure, smaller images and batches).
ModelOptions small(const std::string& dataset) {
  auto o = experiments::paper_model_options(dataset);
  if (dataset == "multi_dsprites") {
    o.image_size = {24, 24};
    o.sprite_size = {12, 12};
    o.n_objects = 3;
  } else if (dataset == "tetrominoes") {
    o.image_size = {20, 20};
    o.sprite_size = {12, 12};
    o.n_sprites = 4;
  } else if (dataset == "gtsrb8") {
    o.image_size = {16, 16};
    o.n_sprites = 3;
  }
  return o;
}

TEST_F(ModelTest, ParameterCountsMatchTheAuthorsModels) {
  // PERF.md: trainable parameters of the authors' models; encoder multiplicity of golden README 12.
  const std::map<std::string, std::pair<int64_t, int64_t>> expected = {
      {"tetrominoes", {659755, 1}},
      {"multi_dsprites", {5230173, 7}},
      {"clevr6", {26934405, 8}},
      {"gtsrb8", {1215975, 2}}};
  for (const auto& [name, counts] : expected) {
    SCOPED_TRACE(name);
    DtiSprites model(experiments::paper_model_options(name), 0);
    EXPECT_EQ(model.num_trainable_parameters(), counts.first);
    EXPECT_EQ(model.encoder_multiplicity(), counts.second);
  }
}

// Runs forward_train and forward_train_reference from the same state and compares the loss
// and every gradient.
void expect_same_as_reference(DtiSprites& model, const at::Tensor& x) {
  auto state = model.generator().get_state();
  auto fast = model.forward_train(x);
  fast.loss.backward();
  std::vector<at::Tensor> fast_grads;
  for (auto& p : model.parameters()) {
    fast_grads.push_back(p.tensor.grad().defined() ? p.tensor.grad().clone() : at::Tensor());
    if (p.tensor.grad().defined()) p.tensor.mutable_grad().reset();
  }
  model.generator().set_state(state);
  auto ref = model.forward_train_reference(x);
  ref.loss.backward();
  EXPECT_TRUE(at::equal(fast.selection, ref.selection));
  EXPECT_NEAR(fast.loss.item<double>(), ref.loss.item<double>(), 1e-6);
  auto params = model.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    SCOPED_TRACE(params[i].name);
    const auto& g = params[i].tensor.grad();
    ASSERT_EQ(fast_grads[i].defined(), g.defined());
    if (!g.defined()) continue;
    const double scale = std::max(1.0, g.abs().max().item<double>());
    EXPECT_TRUE(all_close(fast_grads[i], g, 1e-5 * scale));
  }
}

// Gives every predictor's zero-initialised last layer small values so that gradients reach the
// layers before it (at β = 0 exactly they cannot).
void perturb_predictors(DtiSprites& model) {
  c10::NoGradGuard no_grad;
  for (auto& p : model.parameters()) {
    if (p.name.find(".w3") != std::string::npos || p.name.find(".b3") != std::string::npos) {
      p.tensor.normal_(0, 0.01);
    }
  }
}

TEST_F(ModelTest, FastTrainingPassEqualsReferenceFormulationGreedy) {
  for (const std::string name : {"tetrominoes", "multi_dsprites"}) {
    SCOPED_TRACE(name);
    DtiSprites model(small(name), 7);
    model.set_epoch(100);  // everything active, sprites trainable
    perturb_predictors(model);
    auto opts = model.options();
    expect_same_as_reference(model, at::rand({3, 3, opts.image_size[0], opts.image_size[1]}));
  }
}

TEST_F(ModelTest, FastTrainingPassEqualsReferenceFormulationExhaustive) {
  DtiSprites model(small("gtsrb8"), 3);
  model.set_epoch(400);
  perturb_predictors(model);
  expect_same_as_reference(model, at::rand({4, 3, 16, 16}));
}

TEST_F(ModelTest, GradientsReachEveryParameterGroup) {
  for (const std::string name : {"multi_dsprites", "gtsrb8"}) {
    SCOPED_TRACE(name);
    auto options = small(name);
    options.add_empty_sprite = false;  // on random images the empty sprite would win every layer
    DtiSprites model(options, 11);
    model.set_epoch(1000);
    perturb_predictors(model);
    auto opts = model.options();
    // A textured background, so that its spatial transformations have a gradient (a constant
    // image is invariant to them).
    model.initialize_from_images(at::rand({5, 3, opts.image_size[0], opts.image_size[1]}));
    auto out = model.forward_train(at::rand({4, 3, opts.image_size[0], opts.image_size[1]}));
    out.loss.backward();
    for (const auto& p : model.parameters()) {
      SCOPED_TRACE(p.name);
      ASSERT_TRUE(p.tensor.grad().defined());
      EXPECT_GT(p.tensor.grad().abs().sum().item<double>(), 0.0);
    }
  }
}

TEST_F(ModelTest, FrozenSpritesGetNoGradientAndEmptySpriteIsNotChosen) {
  DtiSprites model(small("multi_dsprites"), 5);
  model.set_epoch(0);
  ASSERT_TRUE(model.sprites_frozen());
  auto out = model.forward_train(at::rand({3, 3, 24, 24}));
  out.loss.backward();
  for (const auto& p : model.parameters()) {
    if (p.group == core::ParameterGroup::kSprites && p.name != "backgrounds") {
      EXPECT_FALSE(p.tensor.grad().defined()) << p.name;
    }
  }
  EXPECT_TRUE((out.selection < model.num_sprites() - 1).all().item<bool>());
}

TEST_F(ModelTest, ShapeErrorsNameExpectedAndActualShapes) {
  DtiSprites model(small("tetrominoes"), 1);
  EXPECT_ERROR_CONTAINS(model.forward_train(at::rand({2, 4, 20, 20})),
                        "expected [B,C=3,H=20,W=20], got [2,4,20,20]");
}

TEST_F(ModelTest, DecompositionShapesAndLabelsAreConsistent) {
  DtiSprites model(small("multi_dsprites"), 2);
  model.set_epoch(100);
  perturb_predictors(model);
  auto x = at::rand({2, 3, 24, 24});
  auto d = model.decompose(x);
  const int64_t L = 3;
  EXPECT_EQ(d.selection.sizes(), (at::IntArrayRef{L, 2}));
  EXPECT_EQ(d.layers.sizes(), (at::IntArrayRef{L, 2, 3, 24, 24}));
  EXPECT_EQ(d.masks.sizes(), (at::IntArrayRef{L, 2, 1, 24, 24}));
  EXPECT_EQ(d.reconstruction.sizes(), x.sizes());
  auto sem = model.semantic_labels(d);
  auto inst = model.instance_labels(d, x, false);
  auto inst_fg = model.instance_labels(d, x, true);
  EXPECT_EQ(sem.sizes(), (at::IntArrayRef{2, 24, 24}));
  EXPECT_LE(sem.max().item<int64_t>(), model.num_sprites());
  EXPECT_LE(inst.max().item<int64_t>(), L);
  EXPECT_GE(inst_fg.min().item<int64_t>(), 1) << "reassignment leaves no background pixel";
  EXPECT_TRUE(at::equal(inst_fg.masked_select(inst > 0), inst.masked_select(inst > 0)));
  // Evaluation has no noise: two decompositions agree.
  EXPECT_TRUE(at::equal(model.decompose(x).reconstruction, d.reconstruction));
}

TEST_F(ModelTest, RestartCopiesSpriteAndPredictors) {
  DtiSprites model(small("multi_dsprites"), 9);
  perturb_predictors(model);
  model.restart_sprite_from(0, 2);
  auto protos = model.prototypes(), masks = model.masks();
  EXPECT_TRUE(all_close(protos[0], protos[2], 1e-3));
  EXPECT_FALSE(at::equal(protos[0], protos[2])) << "appearance gets N(0,1e-4) noise";
  EXPECT_TRUE(at::equal(masks[0], masks[2]));
  for (const auto& p : model.parameters()) {
    if (p.sprite_dim < 0 || p.name.rfind("sprite_network", 0) != 0) continue;
    EXPECT_TRUE(at::equal(p.tensor.select(p.sprite_dim, 0), p.tensor.select(p.sprite_dim, 2)))
        << p.name;
  }
}

}  // namespace
}  // namespace dti::test
