// Behaviours matched to the authors' code (docs/deviations.md): distinct images for the 'mean'
// background, aliased Adam moments after a reassignment, and ARI-FG's closest layer taken over
// all K sprites under exhaustive selection.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/adam.h"
#include "core/init.h"
#include "core/model.h"
#include "core/trainer.h"
#include "experiments/config/paper_model_options.h"
#include "tests/core/tensor_source.h"

namespace dti::test {
namespace {

TEST(InitializationIndices, DistinctImagesAsAShuffledFirstBatch) {
  // The authors average `next(iter(DataLoader(batch_size=100, shuffle=True)))`: 100 distinct
  // images. Drawing with replacement from 150 images repeats one almost surely.
  const auto picked = core::initialization_indices(150, core::kInitImages, 7);
  ASSERT_EQ(picked.size(), 100u);
  const std::set<int64_t> distinct(picked.begin(), picked.end());
  EXPECT_EQ(distinct.size(), 100u);
  EXPECT_GE(*distinct.begin(), 0);
  EXPECT_LT(*distinct.rbegin(), 150);
  EXPECT_EQ(picked, core::initialization_indices(150, 100, 7)) << "deterministic in the seed";
  EXPECT_NE(picked, core::initialization_indices(150, 100, 8));
  // Fewer images than the batch: every image once.
  const auto all = core::initialization_indices(5, 100, 3);
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()), (std::set<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_THROW(core::initialization_indices(0, 100, 1), dti::Error);
}

// torch's Adam on one scalar parameter whose moments live in a shared object (double).
struct Moments {
  double m = 0, v = 0;
};
double adam_update(Moments& s, double p, double g, int64_t t, double lr) {
  s.m = 0.9 * s.m + 0.1 * g;
  s.v = 0.999 * s.v + 0.001 * g * g;
  const double bc1 = 1 - std::pow(0.9, t), bc2 = 1 - std::pow(0.999, t);
  return p - lr / bc1 * s.m / (std::sqrt(s.v) / std::sqrt(bc2) + 1e-8);
}

TEST(Adam, AliasedSlicesUpdateOneSharedStateInTurn) {
  // Slices 0..2 of w; after alias(2 <- 0), slices 0 and 2 update one moment object, 0 first.
  auto w = at::tensor({0.5, -1.0, 2.0}, at::kDouble).requires_grad_(true);
  core::Adam adam({{"w", w, 0}}, {{0.01, 0.0}});
  const double coef[3] = {1.0, 2.0, -3.0};
  auto coefs = at::tensor({coef[0], coef[1], coef[2]}, at::kDouble);
  Moments s[3];
  double p[3] = {0.5, -1.0, 2.0};
  auto run_step = [&](int64_t t, bool aliased) {
    adam.zero_grad();
    (w * coefs).sum().backward();
    adam.step();
    for (int k = 0; k < 3; ++k)
      p[k] = adam_update(s[aliased && k == 2 ? 0 : k], p[k], coef[k], t, 0.01);
  };
  run_step(1, false);
  adam.alias_state_slice(0, 0, /*dst=*/2, /*src=*/0);
  EXPECT_EQ(adam.state(0).moment_of, (std::vector<int64_t>{0, 1, 0}));
  run_step(2, true);
  run_step(3, true);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(w[k].item<double>(), p[k], 1e-12) << "slice " << k;

  // A copy instead moves slice 2 differently (its own moments, from the copy on).
  auto c = at::tensor({0.5, -1.0, 2.0}, at::kDouble).requires_grad_(true);
  core::Adam copying({{"w", c, 0}}, {{0.01, 0.0}});
  for (int t = 1; t <= 3; ++t) {
    copying.zero_grad();
    (c * coefs).sum().backward();
    copying.step();
    if (t == 1) copying.copy_state_slice(0, 0, 2, 0);
  }
  EXPECT_GT(std::abs(c[2].item<double>() - w[2].item<double>()), 1e-6);

  // Checkpoints keep the aliasing.
  auto w2 = w.detach().clone().requires_grad_(true);
  core::Adam resumed({{"w", w2, 0}}, {{0.01, 0.0}});
  resumed.load_state_tensors(adam.state_tensors());
  EXPECT_EQ(resumed.state(0).moment_of, (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(resumed.state(0).alias_dim, 0);
}

core::ModelOptions small_single_object() {
  auto o = experiments::paper_model_options("gtsrb8");
  o.image_size = {12, 12};
  o.n_sprites = 3;
  o.inject_noise = 0;  // noise would break the ties on black images
  return o;
}

TEST(Trainer, ReassignmentAliasesPredictorMomentsByDefaultAndCopiesWithTheOption) {
  for (const auto mode : {core::ReassignMoments::kAlias, core::ReassignMoments::kCopy}) {
    SCOPED_TRACE(mode == core::ReassignMoments::kAlias ? "alias" : "copy");
    // On black images every sprite ties and the first wins: sprites 1 and 2 are reassigned.
    core::DtiSprites model(small_single_object(), 3);
    core::TrainerOptions training;
    training.lr = 1e-3;
    training.n_epochs = 1;
    training.check_cluster_interval = 2;
    training.reassign_moments = mode;
    core::Trainer trainer(model, training, 3);
    int64_t reassignments = 0;
    trainer.on_reassignment([&](const core::ReassignmentEvent&) { ++reassignments; });
    TensorSource source(at::zeros({8, 3, 12, 12}), 4, 1);
    trainer.train(source);
    ASSERT_GT(reassignments, 0);
    const auto& adam = trainer.optimizer();
    size_t predictors = 0;
    const auto params = model.parameters();  // a copy: parameters() returns a new vector
    for (size_t i = 0; i < params.size(); ++i) {
      const auto& p = params[i];
      if (!p.copy_moments) {
        EXPECT_TRUE(adam.state(i).moment_of.empty()) << p.name;
      } else if (p.group == core::ParameterGroup::kSprites) {
        // The mask's moments are copied (`exp_avg[i] = exp_avg[j]`) in both modes.
        EXPECT_TRUE(adam.state(i).moment_of.empty()) << p.name;
      } else if (mode == core::ReassignMoments::kAlias && adam.state(i).exp_avg.defined()) {
        // Modules not yet switched on by the curriculum have no state to share (the authors'
        // `if param_i in opt.state`).
        ++predictors;
        EXPECT_EQ(adam.state(i).moment_of, (std::vector<int64_t>{0, 0, 0})) << p.name;
      } else {
        EXPECT_TRUE(adam.state(i).moment_of.empty()) << p.name;
      }
    }
    if (mode == core::ReassignMoments::kAlias) {
      EXPECT_GT(predictors, 0u);
    }
  }
}

core::ModelOptions small_layers(bool exhaustive) {
  auto o = experiments::paper_model_options("multi_dsprites");
  o.image_size = {20, 20};
  o.sprite_size = {10, 10};
  o.n_objects = 2;
  o.estimate_minimum = !exhaustive;
  return o;
}

void perturb(core::DtiSprites& model) {
  c10::NoGradGuard no_grad;
  for (auto& p : model.parameters()) {
    if (p.name.find(".w3") != std::string::npos || p.name.find(".b3") != std::string::npos) {
      p.tensor.normal_(0, 0.05);
    }
    if (p.name == "sprites.appearance") p.tensor.uniform_(-2, 2);  // sprites of distinct colours
    // Masks mostly below 0.5: many pixels inside the sprites' canvases are predicted background,
    // where the sprites of a layer differ.
    if (p.name == "sprites.masks") p.tensor.uniform_(-1, 1);
  }
}

TEST(Decomposition, ExhaustiveArifgTakesTheMinimumOverAllSpritesOfEachLayer) {
  at::manual_seed(5);
  core::DtiSprites model(small_layers(/*exhaustive=*/true), 4);
  model.set_epoch(1000);
  perturb(model);
  auto x = at::rand({3, 3, 20, 20});
  auto d = model.decompose(x);
  auto chosen = (d.layers - x.unsqueeze(0)).pow(2).sum(2);  // [L,B,H,W]
  ASSERT_EQ(d.layer_error.sizes(), chosen.sizes());
  // The authors' `((tsf_layers - images)**2).sum(3).min(1)[0]`: never above the chosen sprite's
  // error, and below it where another sprite of the layer fits the pixel better.
  EXPECT_TRUE((d.layer_error <= chosen + 1e-6).all().item<bool>());
  EXPECT_TRUE((d.layer_error < chosen - 1e-4).any().item<bool>());
  auto labels = model.instance_labels(d, x, /*reassign_background=*/false);
  auto fg = model.instance_labels(d, x, /*reassign_background=*/true);
  auto expected = at::where(labels == 0, d.layer_error.argmin(0) + 1, labels);
  EXPECT_TRUE(at::equal(fg, expected));
  EXPECT_FALSE(at::equal(fg, at::where(labels == 0, chosen.argmin(0) + 1, labels)))
      << "the chosen-sprite rule gives other labels on this case";
}

TEST(Decomposition, GreedyArifgUsesTheChosenSprite) {
  at::manual_seed(6);
  core::DtiSprites model(small_layers(/*exhaustive=*/false), 4);
  model.set_epoch(1000);
  perturb(model);
  auto x = at::rand({2, 3, 20, 20});
  auto d = model.decompose(x);
  EXPECT_TRUE(at::allclose(d.layer_error, (d.layers - x.unsqueeze(0)).pow(2).sum(2)));
}

}  // namespace
}  // namespace dti::test
