// Configuration layer: the shipped configs against paper Table 6 (docs/training.md) and
// experiments::paper_model_options(), strict messages (file, line, dotted key, suggestion, valid
// range), --set overrides, presets, the canonical YAML round trip and its hash. The round-trip and
// equality tests iterate experiments::config_schema(): a key added there is covered here.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <locale>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "base/error.h"
#include "experiments/config.h"
#include "experiments/paper_model_options.h"
#include "experiments/presets.h"

namespace dti::experiments {
// gtest prints a RunConfig as its canonical YAML.
void PrintTo(const RunConfig& config, std::ostream* out) { *out << "\n" << to_yaml(config); }
}  // namespace dti::experiments

namespace dti::test {
namespace {

using experiments::EvalProtocol;
using experiments::RunConfig;

const std::vector<std::string> kShipped = {"tetrominoes",   "multi_dsprites", "multi_dsprites2",
                                           "clevr6",        "gtsrb8",         "svhn",
                                           "weizmann_horse"};

std::string path_of(const std::string& name) { return experiments::resolve_config_path(name); }

std::string read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// `text` with the line `from` replaced by `to` (which may span lines); fails if absent.
std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "missing '" << from << "'";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// 1-based line of the first occurrence of `needle`.
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

// The message of the dti::Error that `f` throws ("" and a failure when it throws none).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no dti::Error thrown";
  return "";
}

std::string parse_error(const std::string& text, const std::string& source,
                        const std::vector<std::string>& overrides = {}) {
  return error_of([&] { experiments::parse_config(text, source, overrides); });
}

#define EXPECT_HAS(message, part) EXPECT_NE((message).find(part), std::string::npos) << (message)

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

// Compared through the canonical YAML: every model key of the schema.
TEST(ConfigFiles, ModelOptionsEqualPaperModelOptions) {
  for (const auto& name : experiments::paper_datasets()) {
    const auto c = experiments::load_config(path_of(name));
    auto paper = c;
    paper.model = experiments::paper_model_options(name);
    EXPECT_EQ(experiments::to_yaml(paper), experiments::to_yaml(c)) << name;
    // The two model fields the dataset section sets.
    EXPECT_EQ(paper.model.image_size, c.model.image_size) << name;
    EXPECT_EQ(paper.model.channels, c.model.channels) << name;
  }
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

// ---------------------------------------------------------------------------------------------

// Flattens canonical YAML into dotted key -> value text.
std::map<std::string, std::string> flatten(const std::string& yaml) {
  std::map<std::string, std::string> out;
  std::vector<std::string> path;
  std::istringstream in(yaml);
  std::string line;
  while (std::getline(in, line)) {
    const size_t indent = line.find_first_not_of(' ') / 2;
    const auto colon = line.find(':');
    path.resize(indent);
    const auto key = line.substr(indent * 2, colon - indent * 2);
    const auto value = colon + 1 < line.size() ? line.substr(colon + 2) : "";
    path.push_back(key);
    if (value.empty()) continue;
    std::string dotted;
    for (const auto& p : path) dotted += (dotted.empty() ? "" : ".") + p;
    out[dotted] = value;
  }
  return out;
}

std::set<std::string> changed_keys(const RunConfig& a, const RunConfig& b) {
  const auto fa = flatten(experiments::to_yaml(a)), fb = flatten(experiments::to_yaml(b));
  EXPECT_EQ(fa.size(), fb.size());
  std::set<std::string> out;
  for (const auto& [key, value] : fa) {
    if (fb.at(key) != value) out.insert(key);
  }
  return out;
}

const std::set<std::string> kEpochKeys = {
    "model.freeze_sprite",           "model.curriculum_learning",
    "model.curriculum_learning_bkg", "model.curriculum_learning_layer",
    "training.scheduler.milestones", "training.n_epoches"};

TEST(ConfigPresets, NamesAndUnknownPreset) {
  EXPECT_EQ(experiments::preset_names(), (std::vector<std::string>{"paper", "quick", "smoke"}));
  const auto c = experiments::load_config(path_of("svhn"));
  EXPECT_HAS(error_of([&] { experiments::apply_preset(c, "fast"); }),
             "unknown preset 'fast'; valid: paper, quick, smoke");
  EXPECT_HAS(error_of([&] { experiments::load_config(path_of("svhn"), "fast", {}); }),
             "valid: paper, quick, smoke");
  for (const auto& p : experiments::preset_names())
    EXPECT_FALSE(experiments::preset_description(p).empty());
}

TEST(ConfigPresets, PaperChangesNothing) {
  for (const auto& name : kShipped) {
    const auto c = experiments::load_config(path_of(name));
    EXPECT_TRUE(experiments::preset_overrides(c, "paper").empty());
    EXPECT_EQ(experiments::apply_preset(c, "paper"), c) << name;
    EXPECT_EQ(experiments::load_config(path_of(name), "paper", {}), c) << name;
  }
}

// The numbers of the table in experiments/presets.cpp.
TEST(ConfigPresets, QuickScalesEpochQuantitiesAsDocumented) {
  struct Row {
    std::string name;
    int64_t n_images, epochs;
    std::vector<int64_t> milestones, curriculum, curriculum_bkg;
    int64_t freeze;
  };
  const std::vector<Row> rows = {
      {"tetrominoes", 60000, 21, {10, 20}, {}, {}, 1},
      {"multi_dsprites", 6000, 51, {25, 50}, {2}, {}, 1},
      {"multi_dsprites2", 6000, 51, {25, 50}, {2}, {}, 1},
      {"clevr6", 3000, 45, {25, 40}, {15}, {}, 4},
      {"gtsrb8", 0, 70, {60}, {10, 35}, {10, 35}, 0},
      {"svhn", 100000, 11, {10}, {2, 7}, {2, 7}, 0},
      {"weizmann_horse", 0, 1500, {1400}, {300, 800}, {300, 800}, 0},
  };
  for (const auto& r : rows) {
    const auto base = experiments::load_config(path_of(r.name));
    const auto q = experiments::apply_preset(base, "quick");
    EXPECT_EQ(q.dataset.n_images, r.n_images) << r.name;
    EXPECT_EQ(q.training.n_epochs, r.epochs) << r.name;
    EXPECT_EQ(q.training.milestones, r.milestones) << r.name;
    EXPECT_EQ(q.model.curriculum_learning, r.curriculum) << r.name;
    EXPECT_EQ(q.model.curriculum_learning_bkg, r.curriculum_bkg) << r.name;
    EXPECT_EQ(q.model.freeze_sprite, r.freeze) << r.name;
    auto allowed = kEpochKeys;
    allowed.insert("dataset.n_images");
    for (const auto& key : changed_keys(base, q))
      EXPECT_TRUE(allowed.count(key)) << r.name << ": quick changed " << key;
    // The model is the paper's apart from its epoch quantities (the keys checked above).
    EXPECT_EQ(q.model.image_size, base.model.image_size) << r.name;
  }
}

TEST(ConfigPresets, SmokeIsTinyAndExercisesEveryCodePath) {
  auto allowed = kEpochKeys;
  for (const auto& k : {"dataset.n_images", "dataset.eval_images", "training.batch_size",
                        "training.max_iterations", "training.train_stat_interval",
                        "training.check_cluster_interval", "training.checkpoint_interval"}) {
    allowed.insert(k);
  }
  for (const auto& name : kShipped) {
    const auto base = experiments::load_config(path_of(name));
    const auto s = experiments::load_config(path_of(name), "smoke", {});
    EXPECT_EQ(s, experiments::apply_preset(base, "smoke")) << name;
    for (const auto& key : changed_keys(base, s))
      EXPECT_TRUE(allowed.count(key)) << name << ": smoke changed " << key;
    EXPECT_EQ(s.dataset.image_size, base.dataset.image_size) << name;
    EXPECT_LE(s.dataset.n_images, 128) << name;
    EXPECT_EQ(s.dataset.eval_images, 32) << name;
    EXPECT_EQ(s.batch_size, 8) << name;
    const int64_t per_epoch = s.dataset.n_images / s.batch_size;
    const int64_t total = s.training.n_epochs * per_epoch;
    EXPECT_EQ(s.training.max_iterations, total) << name;
    EXPECT_GE(total, 10) << name;
    EXPECT_LE(total, 20) << name;
    // Freezing ends within the run and a reassignment check follows it.
    if (base.model.freeze_sprite > 0) {
      EXPECT_EQ(s.model.freeze_sprite, 1) << name;
    }
    const int64_t unfrozen = s.model.freeze_sprite * per_epoch;
    EXPECT_LT(unfrozen + s.training.check_cluster_interval, total) << name;
    EXPECT_LT(s.training.check_cluster_interval, per_epoch) << name;
    // Every curriculum module and every schedule milestone switches within the run, after epoch 0.
    for (const auto* curriculum : {&s.model.curriculum_learning, &s.model.curriculum_learning_bkg,
                                   &s.model.curriculum_learning_layer}) {
      for (int64_t e : *curriculum) {
        EXPECT_GE(e, 1) << name;
        EXPECT_LT(e, s.training.n_epochs) << name;
      }
    }
    EXPECT_EQ(s.model.curriculum_learning.size(), base.model.curriculum_learning.size()) << name;
    ASSERT_FALSE(s.training.milestones.empty()) << name;
    EXPECT_LT(s.training.milestones.back(), s.training.n_epochs) << name;
    EXPECT_GT(s.training.checkpoint_interval, 0) << name;
    EXPECT_LT(s.training.checkpoint_interval, total) << name;
  }
}

TEST(ConfigPresets, UserOverridesBeatPresets) {
  const auto path = path_of("clevr6");
  const auto s = experiments::load_config(path, "smoke",
                                          {"training.batch_size=16", "training.max_iterations=0"});
  EXPECT_EQ(s.batch_size, 16);
  EXPECT_EQ(s.training.max_iterations, 0);
  EXPECT_EQ(s.dataset.n_images, 48);
  // Presets scale the file's values; a --set value is absolute.
  const auto q =
      experiments::load_config(path_of("tetrominoes"), "quick", {"training.n_epoches=25"});
  EXPECT_EQ(q.training.n_epochs, 25);
  EXPECT_EQ(q.training.milestones, (std::vector<int64_t>{10, 20}));
}

TEST(ConfigPresets, MessagesNameThePresetOrTheOverride) {
  const auto path = path_of("clevr6");
  // batch 8 comes from the preset, n_images 4 from the user.
  EXPECT_HAS(error_of([&] { experiments::load_config(path, "smoke", {"dataset.n_images=4"}); }),
             "training.batch_size (from preset 'smoke' (training.batch_size=8)): 8 exceeds "
             "dataset.n_images (4)");
  EXPECT_HAS(error_of([&] { experiments::load_config(path, "smoke", {"model.n_sprite=2"}); }),
             "(from --set model.n_sprite=2): unknown key");
  EXPECT_EQ(experiments::load_config(path, "", {"model.n_sprites=2"}),
            experiments::load_config(path, {"model.n_sprites=2"}));
}

// ---------------------------------------------------------------------------------------------

TEST(ConfigYaml, RoundTripOfEveryConfigAndPreset) {
  for (const auto& name : kShipped) {
    for (const auto& preset : experiments::preset_names()) {
      const auto c = experiments::load_config(path_of(name), preset, {});
      const auto text = experiments::to_yaml(c);
      const auto back = experiments::parse_config(text, "canonical.yml");
      EXPECT_EQ(back, c) << name << "/" << preset;
      EXPECT_EQ(experiments::to_yaml(back), text) << name << "/" << preset;
      EXPECT_EQ(back.model.image_size, c.model.image_size) << name << "/" << preset;
      EXPECT_EQ(back.model.channels, c.model.channels) << name << "/" << preset;
      EXPECT_EQ(experiments::config_hash(back), experiments::config_hash(c));
    }
  }
}

// Every key of the schema that has an effect is emitted: `--set <key>=<example>` on the canonical
// text of a shipped config changes that key and no other, equality and the hash notice it, and the
// text reads back to the same configuration. A shipped config where the example is refused (a
// check across keys) or already set is skipped; one of them must take it.
TEST(ConfigSchema, EveryEmittedKeyIsReadBackAndNoticed) {
  const auto emitted = flatten(experiments::to_yaml(experiments::load_config(path_of("svhn"))));
  std::set<std::string> schema_keys;
  for (const auto& key : experiments::config_schema()) {
    schema_keys.insert(key.key);
    if (emitted.count(key.key) == 0) continue;
    const auto set = key.key + "=" + key.example;
    EXPECT_FALSE(key.example.empty()) << key.key;
    std::string refusals;
    bool covered = false;
    for (const auto& name : kShipped) {
      const auto base = experiments::load_config(path_of(name));
      RunConfig c;
      try {
        c = experiments::parse_config(experiments::to_yaml(base), name + ".yml", {set});
      } catch (const Error& e) {
        refusals += std::string("\n  ") + e.what();
        continue;
      }
      if (c == base) continue;  // this config's value already
      covered = true;
      EXPECT_TRUE(c != base) << set;
      EXPECT_EQ(changed_keys(base, c), std::set<std::string>{key.key}) << set << " on " << name;
      EXPECT_NE(experiments::config_hash(c), experiments::config_hash(base)) << set;
      const auto back = experiments::parse_config(experiments::to_yaml(c), "canonical.yml");
      EXPECT_EQ(back, c) << set;
      EXPECT_EQ(experiments::config_hash(back), experiments::config_hash(c)) << set;
      EXPECT_EQ(c.model.image_size, c.dataset.image_size) << set;
      EXPECT_EQ(c.model.channels, c.dataset.channels) << set;
      break;
    }
    EXPECT_TRUE(covered) << "no shipped config takes and changes " << set << refusals;
  }
  for (const auto& [key, value] : emitted) EXPECT_TRUE(schema_keys.count(key)) << key;
}

// The keys that are not emitted (the authors' keys with no effect or one valid value) accept
// their example and change nothing.
TEST(ConfigSchema, KeysWithoutEffectChangeNothing) {
  const auto path = path_of("tetrominoes");
  const auto base = experiments::load_config(path);
  const auto emitted = flatten(experiments::to_yaml(base));
  size_t count = 0;
  for (const auto& key : experiments::config_schema()) {
    if (emitted.count(key.key) != 0) continue;
    ++count;
    EXPECT_NE(key.origin, experiments::KeyOrigin::kOurs) << key.key << " is ours but not emitted";
    const auto c = experiments::load_config(path, {key.key + "=" + key.example});
    EXPECT_EQ(c, base) << key.key;
  }
  EXPECT_GT(count, 0u);
}

// Values whose text needs care: doubles that need 17 digits, names YAML would misread, the
// largest seed.
TEST(ConfigYaml, ExactDoublesQuotedNamesAndLargeSeedsRoundTrip) {
  const auto c = experiments::load_config(
      path_of("multi_dsprites"), {"model.lambda_empty_sprite=0.30000000000000004",
                                  "model.gaussian_weights_std=0.3333333333333333",
                                  "dataset.file='yes'", "training.seed=18446744073709551615"});
  EXPECT_EQ(c.model.lambda_empty_sprite, 0.1 + 0.2);
  EXPECT_EQ(c.model.gaussian_weights_std, 1.0 / 3.0);
  EXPECT_EQ(c.dataset.file, "yes");
  EXPECT_EQ(c.seed, 18446744073709551615ull);
  const auto back = experiments::parse_config(experiments::to_yaml(c), "canonical.yml");
  EXPECT_EQ(back.model.lambda_empty_sprite, c.model.lambda_empty_sprite);
  EXPECT_EQ(back.model.gaussian_weights_std, c.model.gaussian_weights_std);
  EXPECT_EQ(back.dataset.file, "yes");
  EXPECT_EQ(back.seed, c.seed);
}

TEST(ConfigYaml, HashIsStableAndIgnoresLayoutAndSource) {
  const auto path = path_of("tetrominoes");
  const auto a = experiments::load_config(path);
  const auto hash = experiments::config_hash(a);
  EXPECT_TRUE(std::regex_match(hash, std::regex("[0-9a-f]{64}"))) << hash;
  // Same settings written differently: comments dropped, sections reordered, other spellings.
  auto text = read(path);
  text = std::regex_replace(text, std::regex("#[^\n]*"), "");
  text = replace(text, "    lr: 1.0e-4", "    lr: 0.0001");
  text = replace(text, "  pred_occlusion: False", "  pred_occlusion: no");
  const auto model_at = text.find("model:\n"), training_at = text.find("training:\n");
  const auto reordered = text.substr(training_at) + text.substr(0, model_at) +
                         text.substr(model_at, training_at - model_at);
  const auto b = experiments::parse_config(reordered, "elsewhere.yml");
  EXPECT_EQ(experiments::config_hash(b), hash);
  EXPECT_EQ(a, b);
  EXPECT_NE(experiments::config_hash(experiments::load_config(path, {"training.seed=1"})), hash);
  EXPECT_NE(experiments::config_hash(
                experiments::load_config(path, {"training.encoder_update=deduplicated"})),
            hash);
}

// The canonical form is pinned: results stored under a hash stay findable. Changing the format or
// the key order changes every hash; do it on purpose, and update this value.
TEST(ConfigYaml, CanonicalTextAndHashArePinned) {
  const auto c = experiments::load_config(path_of("svhn"));
  const auto text = experiments::to_yaml(c);
  EXPECT_HAS(text,
             "dataset:\n  name: svhn\n  file: svhn.h5\n  image_size: [32, 32]\n  channels: 3\n");
  EXPECT_HAS(text, "  curriculum_learning: [10, 35]\n");
  EXPECT_HAS(text, "  curriculum_learning_layer: []\n");
  EXPECT_HAS(
      text,
      "  optimizer:\n    lr: 0.001\n    cluster:\n      weight_decay: 0.0\n    transformer:\n"
      "      weight_decay: 1e-06\n  scheduler:\n    gamma: 0.1\n    milestones: [50]\n");
  // Cross-checked with `sha256sum` of the same text.
  EXPECT_EQ(experiments::config_hash(c),
            "2ea2b52dc3e9cf7a6da0b35618e30632dae63336824ee5c120407d875c1bc784");
}

// A process whose global C++ locale writes decimal commas reads and writes configs the same way.
TEST(ConfigYaml, IndependentOfTheGlobalLocale) {
  struct DecimalComma : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
    std::string do_grouping() const override { return "\3"; }
  };
  const auto c = experiments::load_config(path_of("svhn"));
  const auto saved = std::locale::global(std::locale(std::locale::classic(), new DecimalComma));
  std::string text, hash;
  try {
    const auto again = experiments::load_config(path_of("svhn"));
    text = experiments::to_yaml(again);
    hash = experiments::config_hash(again);
  } catch (...) {
    std::locale::global(saved);
    throw;
  }
  std::locale::global(saved);
  EXPECT_EQ(text, experiments::to_yaml(c));
  EXPECT_EQ(hash, experiments::config_hash(c));
}

// ---------------------------------------------------------------------------------------------

TEST(ConfigDir, EnvironmentOverridesTheDefaultDirectory) {
  const char* saved = std::getenv("DTI_CONFIG_DIR");
  const std::string saved_value = saved ? saved : "";
  unsetenv("DTI_CONFIG_DIR");
  const auto built_in = experiments::default_config_dir();
  // The build tree's copy of the shipped configs, found from the executable (no source path).
  EXPECT_EQ(std::filesystem::path(built_in).filename(), "configs");
  EXPECT_EQ(read(built_in + "/svhn.yml"),
            read(std::string(DTI_SOURCE_DIR) + "/experiments/configs/svhn.yml"));
  setenv("DTI_CONFIG_DIR", "/somewhere/configs", 1);
  EXPECT_EQ(experiments::default_config_dir(), "/somewhere/configs");
  EXPECT_EQ(experiments::resolve_config_path("svhn"), "/somewhere/configs/svhn.yml");
  EXPECT_EQ(experiments::resolve_config_path("./svhn.yml"), "./svhn.yml");
  EXPECT_EQ(experiments::resolve_config_path("mine.yaml"), "mine.yaml");
  if (saved) {
    setenv("DTI_CONFIG_DIR", saved_value.c_str(), 1);
  } else {
    unsetenv("DTI_CONFIG_DIR");
  }
}

TEST(ConfigDir, ReadmeDocumentsEveryKeyAndPreset) {
  const auto readme = read(std::string(DTI_SOURCE_DIR) + "/experiments/configs/README.md");
  for (const auto& key : experiments::config_schema()) {
    EXPECT_HAS(readme, "`" + key.key + "`");
    EXPECT_FALSE(key.description.empty()) << key.key;
  }
  for (const auto& name : experiments::preset_names()) EXPECT_HAS(readme, "`" + name + "`");
  for (const auto& name : kShipped) EXPECT_HAS(readme, name + ".yml");
}

}  // namespace
}  // namespace dti::test
