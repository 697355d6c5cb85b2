// Configuration layer, the shipped files: every config against paper Table 6 (docs/training.md,
// stated here independently of the configs, as the check of them) and the authors' own files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <locale>
#include <map>
#include <regex>
#include <set>

#include "experiments/config/config.h"
#include "experiments/config/paper_model_options.h"
#include "experiments/config/presets.h"
#include "tests/experiments/config_test_support.h"

namespace dti::test {
namespace {

// ---------------------------------------------------------------------------------------------

TEST(ConfigFiles, EveryShippedConfigLoadsAndValidates) {
  for (const auto& name : kShipped) {
    const auto path = path_of(name);
    const auto c = experiments::load_config(path);
    EXPECT_EQ(c.dataset.name, name);
    EXPECT_EQ(c.dataset.file, name + ".h5");
    EXPECT_EQ(c.source, path);
    EXPECT_EQ(c.model.image_size, c.dataset.image_size) << name;
    EXPECT_EQ(c.model.channels, 3) << name;
    EXPECT_NO_THROW(c.model.validate()) << name;
    EXPECT_NO_THROW(c.training.validate()) << name;
  }
}

// paper_model_options() and paper_batch_size() read the shipped configs (the one place that holds
// Table 6); the epoch at which every module is on follows the paper's curricula.
TEST(ConfigFiles, PaperSettingsComeFromTheShippedConfigs) {
  const std::map<std::string, std::pair<int64_t, int64_t>> batch_and_active = {
      {"tetrominoes", {32, 1}}, {"multi_dsprites", {32, 20}}, {"clevr6", {32, 150}},
      {"gtsrb8", {128, 350}},   {"svhn", {128, 35}},          {"weizmann_horse", {32, 8000}}};
  for (const auto& name : experiments::paper_datasets()) {
    const auto c = experiments::load_config(path_of(name));
    auto paper = c;
    paper.model = experiments::paper_model_options(name);
    EXPECT_EQ(experiments::to_yaml(paper), experiments::to_yaml(c)) << name;
    EXPECT_EQ(experiments::paper_batch_size(name), batch_and_active.at(name).first) << name;
    EXPECT_EQ(experiments::first_active_epoch(paper.model), batch_and_active.at(name).second)
        << name;
  }
  EXPECT_THROW(experiments::paper_model_options("tetris"), Error);
}

// Paper Table 6 and the authors' configs (docs/training.md) for what paper_model_options lacks.
TEST(ConfigFiles, DatasetAndTrainingSettingsFollowSpec6) {
  struct Row {
    std::string name;
    int64_t image, batch;
    double lr;
    std::vector<double> gamma;
    std::vector<int64_t> milestones;
    int64_t epochs, check, log;
    uint64_t seed;
    EvalProtocol eval;
    int64_t n_images, eval_images;
  };
  const std::vector<Row> rows = {
      {"tetrominoes",
       35,
       32,
       1e-4,
       {1, 0.1},
       {100, 200},
       210,
       50,
       500,
       65176,
       EvalProtocol::kInstance,
       60000,
       320},
      {"multi_dsprites",
       64,
       32,
       1e-4,
       {1, 0.1},
       {250, 500},
       510,
       100,
       2000,
       98469,
       EvalProtocol::kInstance,
       60000,
       320},
      {"multi_dsprites2",
       64,
       32,
       1e-4,
       {1, 0.1},
       {250, 500},
       510,
       100,
       2000,
       98469,
       EvalProtocol::kInstance,
       60000,
       320},
      {"clevr6",
       128,
       32,
       1e-4,
       {1, 0.1},
       {250, 400},
       450,
       250,
       1000,
       41459,
       EvalProtocol::kInstance,
       0,
       320},
      {"gtsrb8", 28, 128, 1e-3, {0.1}, {600}, 700, 25, 100, 4820, EvalProtocol::kClustering, 0, 0},
      {"svhn", 32, 128, 1e-3, {0.1}, {50}, 55, 100, 400, 2971, EvalProtocol::kClustering, 0, 0},
      {"weizmann_horse",
       128,
       32,
       1e-3,
       {0.1},
       {14000},
       15000,
       300,
       300,
       3830,
       EvalProtocol::kCosegmentation,
       0,
       0},
  };
  for (const auto& r : rows) {
    const auto c = experiments::load_config(path_of(r.name));
    EXPECT_EQ(c.dataset.image_size, (std::array<int64_t, 2>{r.image, r.image})) << r.name;
    EXPECT_EQ(c.batch_size, r.batch) << r.name;
    EXPECT_EQ(c.training.lr, r.lr) << r.name;
    EXPECT_EQ(c.training.gamma, r.gamma) << r.name;
    EXPECT_EQ(c.training.milestones, r.milestones) << r.name;
    EXPECT_EQ(c.training.n_epochs, r.epochs) << r.name;
    EXPECT_EQ(c.training.check_cluster_interval, r.check) << r.name;
    EXPECT_EQ(c.training.log_interval, r.log) << r.name;
    EXPECT_EQ(c.training.network_weight_decay, 1e-6) << r.name;
    EXPECT_EQ(c.training.sprite_weight_decay, 0.0) << r.name;
    EXPECT_EQ(c.training.encoder_update, core::EncoderUpdate::kReference) << r.name;
    EXPECT_EQ(c.training.max_iterations, 0) << r.name;
    EXPECT_EQ(c.seed, r.seed) << r.name;
    EXPECT_EQ(c.dataset.eval, r.eval) << r.name;
    EXPECT_EQ(c.dataset.n_images, r.n_images) << r.name;
    EXPECT_EQ(c.dataset.eval_images, r.eval_images) << r.name;
  }
}

TEST(ConfigFiles, MultiDsprites2IsMultiDspritesWithTwoLayers) {
  auto two = experiments::load_config(path_of("multi_dsprites2"));
  const auto five = experiments::load_config(path_of("multi_dsprites"));
  EXPECT_EQ(two.model.n_objects, 2);
  two.model.n_objects = five.model.n_objects;
  two.dataset.name = five.dataset.name;
  two.dataset.file = five.dataset.file;
  EXPECT_EQ(experiments::to_yaml(two), experiments::to_yaml(five));
}

// The authors' own files parse unchanged (dataset defaults come from the name) and resolve to
// exactly our configs: their keys mean the same here.
TEST(ConfigFiles, AuthorsFilesResolveLikeOurs) {
  const std::string tetro = R"(dataset:
  name: tetrominoes
model:
  name: dti_sprites
  n_sprites: 19
  n_backgrounds: 0
  n_objects: 3
  freeze_sprite: 1
  inject_noise: 0.4
  encoder_name: resnet32
  transformation_sequence: identity
  transformation_sequence_bkg: color
  transformation_sequence_layer: color_position
  curriculum_learning: False
  curriculum_learning_bkg: False
  curriculum_learning_layer: False
  proto_init: constant
  mask_init: gaussian
  sprite_size: [24, 24]
  gaussian_weights_std: 5
  pred_occlusion: False
  estimate_minimum: True
  greedy_algo_iter: 1
training:
  batch_size: 32
  n_workers: 8
  optimizer:
    name: adam
    lr: 1.0e-4
    transformer:
      weight_decay: 1.0e-6
  scheduler:
    name: multi_step
    gamma: [1, 0.1]
    milestones: [100, 200]
  n_epoches: 210
  train_stat_interval: 500
  val_stat_interval: 1000
  check_cluster_interval: 50
  eval_with_bkg: True
  eval_semantic: True
  seed: 65176
  visualizer_port:
  pretrained:
  resume:
)";
  const std::string gtsrb = R"(dataset:
  name: gtsrb8
model:
  name: dti_sprites
  n_sprites: 8
  n_backgrounds: 1
  inject_noise: 0.4
  encoder_name: resnet32
  transformation_sequence: color_projective_tps
  transformation_sequence_bkg: color_projective_tps
  curriculum_learning: [100, 350]
  curriculum_learning_bkg: [100, 350]
  proto_init: constant
  mask_init: gaussian
  bkg_init: mean
  gaussian_weights_std: 5
training:
  batch_size: 128
  n_workers: 4
  optimizer:
    name: adam
    lr: 1.0e-3
    transformer:
      weight_decay: 1.0e-6
  scheduler:
    name: multi_step
    gamma: 0.1
    milestones: [600]
  n_epoches: 700
  train_stat_interval: 100
  val_stat_interval: 200
  check_cluster_interval: 25
  seed: 4820
  visualizer_port:
  pretrained: 
  resume: 
)";
  EXPECT_EQ(experiments::to_yaml(experiments::parse_config(tetro, "tetro.yml")),
            experiments::to_yaml(experiments::load_config(path_of("tetrominoes"))));
  EXPECT_EQ(experiments::to_yaml(experiments::parse_config(gtsrb, "gtsrb8.yml")),
            experiments::to_yaml(experiments::load_config(path_of("gtsrb8"))));
  // The authors' dataset name for Multi-dSprites.
  const auto text =
      replace(read(path_of("multi_dsprites")), "name: multi_dsprites\n  file: multi_dsprites.h5\n",
              "name: dsprites_gray\n");
  const auto c = experiments::parse_config(text, "dsprites_gray.yml");
  EXPECT_EQ(c.dataset.name, "multi_dsprites");
  EXPECT_EQ(c.dataset.file, "multi_dsprites.h5");
}

}  // namespace
}  // namespace dti::test
