// Configuration layer: presets, the canonical YAML round trip and its hash (driven by
// experiments::config_schema(): a key added there is covered here) and the config folder.
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
  EXPECT_EQ(experiments::preset_names(),
            (std::vector<std::string>{"paper", "quick", "demo", "smoke"}));
  const auto c = experiments::load_config(path_of("svhn"));
  EXPECT_HAS(error_of([&] { experiments::apply_preset(c, "fast"); }),
             "unknown preset 'fast'; valid: paper, quick, demo, smoke");
  EXPECT_HAS(error_of([&] { experiments::load_config(path_of("svhn"), "fast", {}); }),
             "valid: paper, quick, demo, smoke");
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

// The numbers of the table in experiments/config/presets.cpp.
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

// Options added after runs were stored: written (and hashed) only when set to something other
// than their default, so that a stored run's configuration keeps its hash.
const std::set<std::string> kWrittenOnlyWhenSet = {"training.precision", "training.encoder_norm"};

TEST(ConfigSchema, OptionsAddedLaterKeepStoredHashes) {
  for (const auto& name : kShipped) {
    const auto base = experiments::load_config(path_of(name));
    const auto text = experiments::to_yaml(base);
    EXPECT_EQ(text.find("precision:"), std::string::npos) << name;
    EXPECT_EQ(experiments::load_config(path_of(name), {"training.precision=fp32"}), base) << name;
    const auto bf16 = experiments::load_config(path_of(name), {"training.precision=bf16"});
    EXPECT_EQ(bf16.training.precision, core::Precision::kBf16);
    EXPECT_NE(experiments::config_hash(bf16), experiments::config_hash(base)) << name;
    const auto back = experiments::parse_config(experiments::to_yaml(bf16), "canonical.yml");
    EXPECT_EQ(back, bf16) << name;
    EXPECT_EQ(text.find("encoder_norm:"), std::string::npos) << name;
    EXPECT_EQ(experiments::load_config(path_of(name), {"training.encoder_norm=separate"}), base);
    const auto fused = experiments::load_config(path_of(name), {"training.encoder_norm=fused"});
    EXPECT_TRUE(fused.model.fused_norm);
    EXPECT_NE(experiments::config_hash(fused), experiments::config_hash(base)) << name;
    EXPECT_EQ(experiments::parse_config(experiments::to_yaml(fused), "canonical.yml"), fused);
  }
}

// The keys that are not emitted (the authors' keys with no effect or one valid value) accept
// their example and change nothing.
TEST(ConfigSchema, KeysWithoutEffectChangeNothing) {
  const auto path = path_of("tetrominoes");
  const auto base = experiments::load_config(path);
  const auto emitted = flatten(experiments::to_yaml(base));
  size_t count = 0;
  for (const auto& key : experiments::config_schema()) {
    if (emitted.count(key.key) != 0 || kWrittenOnlyWhenSet.count(key.key) != 0) continue;
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
            "a0b2ecd235e58fa292d5a7582cb46b4db232ea992213bebbce8e18629a468e14");
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
