// The model learns, on the CPU in minutes: on a small generated multi-object set (two shapes,
// two objects per image, random colours and positions, overlaps) the full multi-layer pipeline
// (greedy selection, layer colour/position transformations, noise injection, freezing,
// reassignment) reaches an ARI-FG far above the untrained model's and sprites that match the
// shapes (semantic mIoU); on a small single-object set, single-layer clustering reaches high
// accuracy. The sets are drawn here so the test needs no file.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <random>

#include "core/model.h"
#include "core/runtime.h"
#include "core/trainer.h"
#include "experiments/run/evaluate.h"
#include "experiments/run/scorers.h"
#include "tests/core/tensor_source.h"
#include "tests/support/cuda.h"

namespace dti::test {
namespace {

// 8×8 patterns: a filled square, a plus sign and a ring.
const char* kShapes[3][8] = {{"........", ".######.", ".######.", ".######.", ".######.",
                              ".######.", ".######.", "........"},
                             {"...##...", "...##...", "...##...", "########", "########",
                              "...##...", "...##...", "...##..."},
                             {"########", "########", "##....##", "##....##", "##....##",
                              "##....##", "########", "########"}};

struct Set {
  at::Tensor images;    // [N,3,S,S] in [0,1]
  at::Tensor instance;  // [N,S,S] 0 = background, 1..objects
  at::Tensor semantic;  // [N,S,S] 0 = background, 1..shapes
  at::Tensor labels;    // [N] shape of the first object
};

// `objects` shapes per image drawn from the first `shapes` patterns, each pattern cell `cell`
// pixels wide, at random positions with random saturated colours; later ones in front.
Set make_set(int64_t n, int64_t size, int shapes, int objects, bool grey_background, uint64_t seed,
             int64_t cell = 2) {
  const int64_t extent = 8 * cell;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> unit(0, 1);
  Set s{at::zeros({n, 3, size, size}), at::zeros({n, size, size}, at::kLong),
        at::zeros({n, size, size}, at::kLong), at::zeros({n}, at::kLong)};
  auto img = s.images.accessor<float, 4>();
  auto inst = s.instance.accessor<int64_t, 3>();
  auto sem = s.semantic.accessor<int64_t, 3>();
  for (int64_t i = 0; i < n; ++i) {
    const float grey = grey_background ? 0.2f + 0.6f * unit(rng) : 0.0f;
    for (int c = 0; c < 3; ++c)
      for (int64_t y = 0; y < size; ++y)
        for (int64_t x = 0; x < size; ++x) img[i][c][y][x] = grey;
    for (int o = 0; o < objects; ++o) {
      const int shape = static_cast<int>(rng() % static_cast<uint64_t>(shapes));
      if (o == 0) s.labels[i] = shape;
      const int64_t top = static_cast<int64_t>(rng() % static_cast<uint64_t>(size - extent + 1));
      const int64_t left = static_cast<int64_t>(rng() % static_cast<uint64_t>(size - extent + 1));
      float colour[3] = {unit(rng), unit(rng), unit(rng)};
      colour[rng() % 3] = 1.0f;  // saturated, never dark
      for (int64_t y = 0; y < extent; ++y) {
        for (int64_t x = 0; x < extent; ++x) {
          if (kShapes[shape][y / cell][x / cell] != '#') continue;
          for (int c = 0; c < 3; ++c) img[i][c][top + y][left + x] = colour[c];
          inst[i][top + y][left + x] = o + 1;
          sem[i][top + y][left + x] = shape + 1;
        }
      }
    }
  }
  return s;
}

// The instance protocol as runexp scores it (experiments/run/scorers.h): ari, ari_fg, miou, ...
experiments::Metrics score_decomposition(core::DtiSprites& model, const Set& test, int64_t shapes,
                                         int64_t objects) {
  auto d = model.decompose(test.images);
  auto maps = experiments::predicted_instance_maps(model, d, test.images, /*semantic=*/true);
  maps.true_instance = test.instance;
  maps.true_semantic = test.semantic;
  return experiments::score_instance(maps,
                                     experiments::instance_label_ranges(model, objects, shapes));
}

core::TrainerOptions training(int64_t epochs) {
  core::TrainerOptions t;
  t.lr = 1e-3;
  t.n_epochs = epochs;
  t.check_cluster_interval = 25;
  t.log_interval = 400;
  return t;
}

// Trains on `device` (the GPU variants below: the same thresholds, issue 8) and scores on the CPU.
void multi_layer_learns(const at::Device& device) {
  core::configure_runtime();
  const int64_t size = 40, shapes = 2, objects = 2;
  const auto train = make_set(512, size, shapes, objects, false, 1);
  const auto test = make_set(64, size, shapes, objects, false, 2);
  core::ModelOptions o;
  o.image_size = {size, size};
  o.n_sprites = shapes;
  o.n_objects = objects;
  o.sprite_size = {24, 24};
  o.gaussian_weights_std = 5;
  o.transformation_sequence_layer = "color_position";
  o.estimate_minimum = true;
  o.inject_noise = 0.4;
  o.freeze_sprite = 1;
  core::DtiSprites model(o, 0);
  const auto untrained = score_decomposition(model, test, shapes, objects);
  model.to(device);
  core::Trainer trainer(model, training(50), 0);  // 1,600 iterations
  trainer.on_progress([&](const core::TrainProgress& p) {
    std::cout << "iteration " << p.iteration << " loss " << p.loss;
    if (device.is_cpu())
      std::cout << " ARI-FG " << score_decomposition(model, test, shapes, objects).at("ari_fg");
    std::cout << std::endl;
  });
  TensorSource source(train.images, 16, 1);
  trainer.train(source);
  model.to(at::kCPU);
  const auto trained = score_decomposition(model, test, shapes, objects);
  std::cout << "ARI-FG untrained " << untrained.at("ari_fg") << " -> trained "
            << trained.at("ari_fg") << "; semantic mIoU " << untrained.at("miou") << " -> "
            << trained.at("miou") << std::endl;
  EXPECT_GT(trained.at("ari_fg"), 0.6);
  EXPECT_GT(trained.at("ari_fg"), untrained.at("ari_fg") + 0.4);
  EXPECT_GT(trained.at("miou"), 0.6) << "each shape should have its own sprite";
}

void single_layer_learns(const at::Device& device) {
  core::configure_runtime();
  const int64_t size = 32, shapes = 3;
  const auto train = make_set(384, size, shapes, 1, true, 3);
  const auto test = make_set(192, size, shapes, 1, true, 4);
  core::ModelOptions o;
  o.image_size = {size, size};
  o.n_sprites = shapes;
  o.n_backgrounds = 1;
  o.sprite_size = {24, 24};
  o.gaussian_weights_std = 5;
  o.transformation_sequence_layer = "color_position";
  o.transformation_sequence_bkg = "color";
  o.inject_noise = 0.4;
  core::DtiSprites model(o, 0);
  model.initialize_from_images(train.images.narrow(0, 0, 100));
  model.to(device);
  auto accuracy = [&] {
    auto d = model.decompose(test.images.to(device));
    return experiments::score_clustering(test.labels, d.selection[0].cpu(), shapes,
                                         model.num_sprites())
        .at("accuracy");
  };
  core::Trainer trainer(model, training(70), 0);  // 1,680 iterations
  trainer.on_progress([&](const core::TrainProgress& p) {
    std::cout << "iteration " << p.iteration << " loss " << p.loss << " accuracy " << accuracy()
              << std::endl;
  });
  TensorSource source(train.images, 16, 1);
  trainer.train(source);
  const double trained = accuracy();
  std::cout << "clustering accuracy " << trained << std::endl;
  EXPECT_GT(trained, 0.9);
}

TEST(Learning, MultiLayerPipelineDecomposesObjectsIntoTheirShapes) { multi_layer_learns(at::kCPU); }

TEST(Learning, SingleLayerClusteringFindsTheClasses) { single_layer_learns(at::kCPU); }

// The same runs trained on the GPU (skipped without one): the issue's "a short training run on
// CUDA learns", with the CPU tests' thresholds.
TEST(Learning, MultiLayerPipelineDecomposesObjectsIntoTheirShapes_CUDA) {
  DTI_SKIP_WITHOUT_CUDA();
  multi_layer_learns(at::kCUDA);
}

TEST(Learning, SingleLayerClusteringFindsTheClasses_CUDA) {
  DTI_SKIP_WITHOUT_CUDA();
  single_layer_learns(at::kCUDA);
}

}  // namespace
}  // namespace dti::test
