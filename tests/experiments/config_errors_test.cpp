// Configuration layer, strictness: messages name the file, line, dotted key, a suggestion and
// the valid range; --set overrides.
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

struct Typo {
  std::string from, to, key, suggestion, section;
};

TEST(ConfigErrors, UnknownKeyAtEachLevelNamesFileLineKeyAndSuggestion) {
  const auto text = read(path_of("tetrominoes"));
  const std::vector<Typo> typos = {
      {"training:\n", "trainig:\n", "trainig", "'training'",
       "at the top level: dataset, model, training"},
      {"  n_images: 60000", "  n_image: 60000", "dataset.n_image", "'n_images'",
       "in dataset: name, file"},
      {"  n_sprites: 19", "  n_spirtes: 19", "model.n_spirtes", "'n_sprites'",
       "in model: name, n_sprites"},
      {"  batch_size: 32", "  batchsize: 32", "training.batchsize", "'batch_size'",
       "in training: batch_size"},
      {"    lr: 1.0e-4", "    lrr: 1.0e-4", "training.optimizer.lrr", "'lr'",
       "in training.optimizer: name, lr"},
      {"      weight_decay: 1.0e-6", "      weight_decy: 1.0e-6",
       "training.optimizer.transformer.weight_decy", "'weight_decay'",
       "in training.optimizer.transformer: weight_decay"},
      {"    milestones: [100, 200]", "    milestone: [100, 200]", "training.scheduler.milestone",
       "'milestones'", "in training.scheduler: name, gamma, milestones"},
  };
  for (const auto& t : typos) {
    const auto bad = replace(text, t.from, t.to);
    const auto message = parse_error(bad, "tetro_typo.yml");
    const auto line = line_of(bad, t.to);
    EXPECT_HAS(message, "tetro_typo.yml:" + std::to_string(line) + ": " + t.key + ": unknown key");
    EXPECT_HAS(message, "did you mean " + t.suggestion);
    EXPECT_HAS(message, "valid keys " + t.section);
  }
}

TEST(ConfigErrors, RightKeyInTheWrongSectionIsPointedOut) {
  const auto text = read(path_of("tetrominoes"));
  const auto message = parse_error(
      replace(text, "  n_sprites: 19\n", "  n_sprites: 19\n  image_size: [35, 35]\n"), "t.yml");
  EXPECT_HAS(message, "model.image_size: unknown key; did you mean 'dataset.image_size'?");
  EXPECT_HAS(parse_error(text, "t.yml", {"model.batch_size=8"}),
             "did you mean 'training.batch_size'?");
}

TEST(ConfigErrors, UnknownKeyInAnOverrideNamesTheOverride) {
  const auto text = read(path_of("tetrominoes"));
  const auto message = parse_error(text, "tetro.yml", {"model.n_sprite=3"});
  EXPECT_HAS(message,
             "tetro.yml: model.n_sprite (from --set model.n_sprite=3): unknown key; did you mean "
             "'n_sprites'?");
  const auto nested = parse_error(text, "tetro.yml", {"training.optimzer.lr=1"});
  EXPECT_HAS(nested,
             "training.optimzer (from --set training.optimzer.lr=1): unknown key; did you mean "
             "'optimizer'?");
}

TEST(ConfigErrors, WrongTypesNameKeyValueAndExpectation) {
  const auto text = read(path_of("tetrominoes"));
  struct Case {
    std::string from, to, expected;
  };
  const std::vector<Case> cases = {
      {"  n_sprites: 19", "  n_sprites: many",
       "model.n_sprites: expected an integer >= 1, got 'many'"},
      {"  n_sprites: 19", "  n_sprites: 19.5",
       "model.n_sprites: expected an integer >= 1, got '19.5'"},
      {"  n_sprites: 19", "  n_sprites: \"19\"",
       "model.n_sprites: expected an integer >= 1, got '19'"},
      {"    lr: 1.0e-4", "    lr: fast",
       "training.optimizer.lr: expected a number > 0, got 'fast'"},
      {"    lr: 1.0e-4", "    lr: .inf",
       "training.optimizer.lr: expected a number > 0, got '.inf'"},
      {"  sprite_size: [24, 24]", "  sprite_size: [24]",
       "model.sprite_size: expected a list of 2 integers"},
      {"  sprite_size: [24, 24]", "  sprite_size: 24",
       "model.sprite_size: expected a list of 2 integers [h, w]"},
      {"  pred_occlusion: False", "  pred_occlusion: maybe",
       "model.pred_occlusion: expected true or false, got 'maybe'"},
      {"    gamma: [1, 0.1]", "    gamma: [1, 0.1, 0.01]",
       "training.scheduler.gamma: expected a factor > 0, or a list of 2"},
      {"  curriculum_learning: False", "  curriculum_learning: True",
       "model.curriculum_learning: expected a list of"},
      {"  encoder_name: resnet32", "  encoder_name: [resnet32]",
       "model.encoder_name: expected a name, got [resnet32]"},
      {"  seed: 65176", "  seed: -3", "training.seed: expected an integer >= 0, got '-3'"},
      {"model:\n", "model: 3\nmodel_:\n", "model: expected a section with keys (name, n_sprites"},
  };
  for (const auto& c : cases) {
    const auto bad = replace(text, c.from, c.to);
    const auto message = parse_error(bad, "types.yml");
    EXPECT_HAS(message, "types.yml:" + std::to_string(line_of(bad, c.to)) + ": " + c.expected);
  }
}

TEST(ConfigErrors, OutOfRangeValuesNameTheValidRange) {
  const auto text = read(path_of("tetrominoes"));
  EXPECT_HAS(parse_error(text, "r.yml", {"model.n_sprites=0"}),
             "model.n_sprites (from --set model.n_sprites=0): 0 is out of range; valid: >= 1");
  EXPECT_HAS(parse_error(text, "r.yml", {"model.inject_noise=1.5"}),
             "1.5 is out of range; valid: in [0, 1]");
  EXPECT_HAS(parse_error(text, "r.yml", {"training.optimizer.lr=0"}),
             "0.0 is out of range; valid: > 0");
  EXPECT_HAS(parse_error(text, "r.yml", {"model.kernel_size=4"}),
             "4 is even; valid: an odd integer >= 1");
  EXPECT_HAS(parse_error(text, "r.yml", {"model.sprite_size=[0, 24]"}),
             "[0, 24] is out of range; valid: [h, w] with both > 0, or [0, 0] (the image size)");
  EXPECT_HAS(parse_error(text, "r.yml", {"model.empty_cluster_threshold=-0.5"}),
             "-0.5 is out of range; valid: -1 (0.2 / n_sprites) or in [0, 1]");
  EXPECT_HAS(parse_error(text, "r.yml", {"training.scheduler.milestones=[100, 50]"}),
             "[100, 50] decreases; valid: a list of non-decreasing epochs >= 1");
  EXPECT_HAS(parse_error(text, "r.yml", {"model.encoder_name=resnet50"}),
             "unknown value 'resnet50'; valid: resnet18, resnet20, resnet32");
  EXPECT_HAS(parse_error(text, "r.yml", {"dataset.eval=ari"}),
             "dataset.eval (from --set dataset.eval=ari): unknown value 'ari'; valid: instance, "
             "clustering, cosegmentation");
  EXPECT_HAS(parse_error(text, "r.yml", {"training.encoder_update=twice"}),
             "unknown value 'twice'; valid: reference, deduplicated");
  EXPECT_HAS(parse_error(text, "r.yml", {"dataset.name=mnist"}),
             "unknown value 'mnist'; valid: tetrominoes, multi_dsprites, multi_dsprites2, clevr6");
}

TEST(ConfigErrors, InvalidCombinationsNameBothKeys) {
  const auto dsprites = read(path_of("multi_dsprites"));
  EXPECT_HAS(
      parse_error(dsprites, "d.yml", {"model.curriculum_learning=[20, 30]"}),
      "model.curriculum_learning (from --set model.curriculum_learning=[20, 30]): [20, 30] has 2 "
      "milestones but "
      "transformation_sequence 'identity_similarity' has 2 modules; valid: 1 milestones, or False");
  const auto clevr = read(path_of("clevr6"));
  const auto freeze =
      parse_error(clevr, "c.yml",
                  {"training.n_epoches=30", "training.scheduler.milestones=[10, 20]",
                   "model.curriculum_learning=[15]"});
  EXPECT_HAS(freeze, "c.yml:" + std::to_string(line_of(clevr, "freeze_sprite")) +
                         ": model.freeze_sprite: 40 freezes the "
                         "sprites for the whole run of n_epoches (30); valid: < n_epoches");
  EXPECT_HAS(
      parse_error(clevr, "c.yml", {"training.n_epoches=300"}),
      "training.scheduler.milestones: [250, 400] has a milestone at or after n_epoches (300)");
  EXPECT_HAS(
      parse_error(clevr, "c.yml", {"training.n_epoches=100", "training.scheduler.milestones=[50]"}),
      "model.curriculum_learning: [150] switches a module on at or after n_epoches (100)");
  const auto tetro = read(path_of("tetrominoes"));
  EXPECT_HAS(
      parse_error(tetro, "t.yml", {"model.lambda_empty_sprite=1e-4"}),
      "has no effect without the empty sprite; valid: 0, or set model.add_empty_sprite: true");
  EXPECT_HAS(parse_error(tetro, "t.yml", {"dataset.eval=clustering"}),
             "model.n_objects: 3 layers, but dataset.eval clustering reads one sprite per image; "
             "valid: 1");
  EXPECT_HAS(parse_error(tetro, "t.yml", {"dataset.n_images=16"}),
             "training.batch_size: 32 exceeds dataset.n_images (16); valid: <= n_images");
  EXPECT_HAS(parse_error(tetro, "t.yml", {"dataset.n_images=100"}),
             "dataset.eval_images: 320 exceeds dataset.n_images (100)");
  EXPECT_HAS(parse_error(tetro, "t.yml", {"model.transformation_sequence_layer=colr_position"}),
             "model.transformation_sequence_layer (from --set "
             "model.transformation_sequence_layer=colr_position): ");
}

TEST(ConfigErrors, CoreValidationMessagesArePrefixedWithTheFile) {
  const auto tetro = read(path_of("tetrominoes"));
  const auto message =
      parse_error(tetro, "tetro.yml", {"model.pred_occlusion=true", "model.n_objects=1"});
  EXPECT_EQ(message.rfind("tetro.yml: ", 0), 0u) << message;
  EXPECT_HAS(message, "pred_occlusion needs n_objects >= 2");
  const auto greedy = parse_error(tetro, "tetro.yml", {"model.n_backgrounds=2"});
  EXPECT_EQ(greedy.rfind("tetro.yml: ", 0), 0u) << greedy;
  EXPECT_HAS(greedy, "supports at most one background");
}

TEST(ConfigErrors, YamlSyntaxErrorNamesFileAndLine) {
  const auto text =
      replace(read(path_of("tetrominoes")), "  sprite_size: [24, 24]", "  sprite_size: [24, 24");
  const auto message = parse_error(text, "broken.yml");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(message, m, std::regex("^broken\\.yml:([0-9]+):[0-9]+: YAML syntax error")))
      << message;
  // yaml-cpp reports an unclosed flow list where it notices it: at or just after the line.
  const int line = std::stoi(m[1]);
  EXPECT_GE(line, line_of(text, "sprite_size: [24, 24"));
  EXPECT_LE(line, line_of(text, "sprite_size: [24, 24") + 1);
  const auto tab = parse_error("dataset:\n\tname: svhn\n", "tab.yml");
  EXPECT_HAS(tab, "tab.yml:2:");
}

TEST(ConfigErrors, MissingDuplicateAndUnsupportedKeys) {
  const auto text = read(path_of("tetrominoes"));
  EXPECT_HAS(parse_error(replace(text, "  seed: 65176\n", ""), "m.yml"),
             "m.yml: training.seed: missing; every config sets it");
  EXPECT_HAS(parse_error("", "empty.yml"), "empty.yml: dataset.name: missing");
  EXPECT_HAS(
      parse_error(replace(text, "  n_objects: 3\n", "  n_objects: 3\n  n_objects: 2\n"), "dup.yml"),
      "model.n_objects: duplicate key");
  EXPECT_HAS(parse_error(text, "p.yml", {"training.resume=run3"}),
             "training.resume (from --set training.resume=run3): is not supported here (runexp "
             "resumes from its "
             "checkpoints); leave it empty");
  EXPECT_HAS(parse_error(text, "p.yml", {"model.name=dti_clustering"}),
             "unknown value 'dti_clustering'; valid: dti_sprites");
  EXPECT_HAS(parse_error(text, "p.yml", {"training.optimizer.name=sgd"}), "valid: adam");
  EXPECT_HAS(parse_error("- a\n- b\n", "list.yml"),
             "list.yml:1: (top level): expected a section with keys");
  EXPECT_HAS(error_of([] { experiments::load_config("/nonexistent/dir/x.yml"); }),
             "cannot read config '/nonexistent/dir/x.yml'");
}

TEST(ConfigErrors, MalformedOverridesAreRefused) {
  const auto text = read(path_of("tetrominoes"));
  EXPECT_HAS(parse_error(text, "o.yml", {"model.n_sprites"}),
             "o.yml: --set model.n_sprites: expected key=value");
  EXPECT_HAS(parse_error(text, "o.yml", {"model=3"}),
             "'model' is a section; set its keys one by one (name, n_sprites");
  EXPECT_HAS(parse_error(text, "o.yml", {"dataset.name.x=1"}), "'dataset.name' is not a section");
  EXPECT_HAS(parse_error(text, "o.yml", {"model..n_sprites=1"}),
             "'model..n_sprites' is not a dotted key");
  EXPECT_HAS(parse_error(text, "o.yml", {"training.scheduler.milestones=[1, 2"}),
             "o.yml: --set training.scheduler.milestones=[1, 2: value:1:");
}

// ---------------------------------------------------------------------------------------------

TEST(ConfigOverrides, NestedListsAndBooleans) {
  const auto path = path_of("tetrominoes");
  const auto c = experiments::load_config(
      path, {"model.n_sprites=10", "training.optimizer.lr=1e-3",
             "training.scheduler.milestones=[2,4]", "training.n_epoches=10", "dataset.n_images=64",
             "model.pred_occlusion=true", "training.optimizer.transformer.weight_decay=0",
             "model.sprite_size=[20, 20]", "training.encoder_update=deduplicated",
             "training.scheduler.gamma=0.5", "model.estimate_minimum=no", "dataset.eval_images=0"});
  EXPECT_EQ(c.model.n_sprites, 10);
  EXPECT_EQ(c.training.lr, 1e-3);
  EXPECT_EQ(c.training.milestones, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(c.training.n_epochs, 10);
  EXPECT_EQ(c.dataset.n_images, 64);
  EXPECT_TRUE(c.model.pred_occlusion);
  EXPECT_FALSE(c.model.estimate_minimum);
  EXPECT_EQ(c.training.network_weight_decay, 0.0);
  EXPECT_EQ(c.model.sprite_size, (std::array<int64_t, 2>{20, 20}));
  EXPECT_EQ(c.training.encoder_update, core::EncoderUpdate::kDeduplicated);
  EXPECT_EQ(c.training.gamma, (std::vector<double>{0.5}));
  EXPECT_EQ(c.dataset.eval_images, 0);
  // Everything not overridden is the file's.
  const auto base = experiments::load_config(path);
  EXPECT_EQ(c.model.n_objects, base.model.n_objects);
  EXPECT_EQ(c.seed, base.seed);
  EXPECT_EQ(c.training.check_cluster_interval, base.training.check_cluster_interval);
}

TEST(ConfigOverrides, CreateMissingSectionsAndLaterOnesWin) {
  const auto path = path_of("tetrominoes");
  const auto c = experiments::load_config(
      path, {"training.optimizer.cluster.weight_decay=1e-5", "model.n_sprites=4",
             "model.n_sprites=7", "model.curriculum_learning_layer=[5]"});
  EXPECT_EQ(c.training.sprite_weight_decay, 1e-5);
  EXPECT_EQ(c.model.n_sprites, 7);
  EXPECT_EQ(c.model.curriculum_learning_layer, (std::vector<int64_t>{5}));
  const auto none = experiments::load_config(
      path, {"model.curriculum_learning_layer=[5]", "model.curriculum_learning_layer=False"});
  EXPECT_TRUE(none.model.curriculum_learning_layer.empty());
  // A section left empty in the file (`scheduler:`) is filled by an override.
  const auto text = replace(
      read(path),
      "  scheduler:\n    name: multi_step\n    gamma: [1, 0.1]\n    milestones: [100, 200]\n",
      "  scheduler:\n");
  const auto filled =
      experiments::parse_config(text, "t.yml", {"training.scheduler.milestones=[7]"});
  EXPECT_EQ(filled.training.milestones, (std::vector<int64_t>{7}));
  EXPECT_EQ(filled.training.gamma, core::TrainerOptions{}.gamma);
}

TEST(ConfigOverrides, DatasetNameDecidesTheSectionDefaults) {
  const std::string minimal = R"(dataset:
  name: tetrominoes
model:
  n_sprites: 3
  transformation_sequence_layer: color_position
  sprite_size: [16, 16]
training:
  batch_size: 4
  optimizer:
    lr: 1.0e-3
  n_epoches: 2
  seed: 1
)";
  const auto c = experiments::parse_config(minimal, "minimal.yml",
                                           {"dataset.name=svhn", "dataset.eval=instance"});
  EXPECT_EQ(c.dataset.name, "svhn");
  EXPECT_EQ(c.dataset.file, "svhn.h5");
  EXPECT_EQ(c.dataset.image_size, (std::array<int64_t, 2>{32, 32}));
  EXPECT_EQ(c.model.image_size, (std::array<int64_t, 2>{32, 32}));
  const auto t = experiments::parse_config(minimal, "minimal.yml");
  EXPECT_EQ(t.dataset.n_images, 60000);
  EXPECT_EQ(t.dataset.eval_images, 320);
  // Defaults of everything else: the options structs'.
  EXPECT_EQ(t.training.check_cluster_interval, core::TrainerOptions{}.check_cluster_interval);
  EXPECT_EQ(t.model.grid_size, core::ModelOptions{}.grid_size);
}

}  // namespace
}  // namespace dti::test
