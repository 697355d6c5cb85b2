#pragma once
// The configuration layer of the suite: YAML run configurations whose keys mirror the authors'
// configs (configs/*.yml of the reference code), read in this one place and resolved into typed
// options (core::ModelOptions, core::TrainerOptions). Command-line `--set key=value` overrides go
// through the same parser and the same checks as files. The accepted keys are documented in
// experiments/configs/README.md and listed by config_schema().

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/model_options.h"
#include "core/trainer.h"

namespace dti::experiments {

/// How a dataset is evaluated (docs/evaluation.md#protocols).
enum class EvalProtocol {
  kInstance,        ///< ARI / ARI-FG on instance maps and semantic mACC / mIoU (Tables 1, 2, 5).
  kClustering,      ///< Clustering accuracy and NMI after Hungarian matching (Table 3).
  kCosegmentation,  ///< Foreground / background pixel accuracy (Table 4).
  kNone,            ///< Loss and sprite usage only: own images without labels or masks.
};

/// Name of a protocol as configs write it: instance, clustering, cosegmentation or none.
std::string eval_protocol_name(EvalProtocol protocol);

/// The resolved `dataset:` section.
struct DatasetConfig {
  /// Canonical dataset name (one of dataset_names()).
  std::string name;
  /// File name inside the data directory (default `<name>.h5`).
  std::string file;
  /// Image size {H, W}.
  std::array<int64_t, 2> image_size{0, 0};
  /// Colour channels C.
  int64_t channels = 3;
  /// Training images: how many the suite generates (Tetrominoes, Multi-dSprites) or how many of
  /// the file's first images training uses (the others); 0 = all of the file.
  int64_t n_images = 0;
  /// Images evaluated, the first ones of the evaluation set; 0 = all.
  int64_t eval_images = 0;
  /// Evaluation protocol.
  EvalProtocol eval = EvalProtocol::kInstance;
};

/// A fully resolved run: everything that determines a training run and its evaluation.
struct RunConfig {
  /// Dataset settings.
  DatasetConfig dataset;
  /// Model options; image_size and channels come from the dataset section.
  core::ModelOptions model;
  /// Training options (schedule, optimiser, intervals, encoder update rule).
  core::TrainerOptions training;
  /// Images per batch B.
  int64_t batch_size = 32;
  /// Seed of the run (initialisation, noise, data order).
  uint64_t seed = 0;
  /// Where the configuration came from (file path or the name given to parse_config); provenance
  /// only: it is not part of to_yaml(), config_hash() or operator==.
  std::string source;
};

/// Whether two configurations resolve to the same settings (compares to_yaml(); ignores source).
bool operator==(const RunConfig& a, const RunConfig& b);
/// Negation of operator==.
bool operator!=(const RunConfig& a, const RunConfig& b);

/// Who defines a configuration key.
enum class KeyOrigin {
  kAuthors,  ///< A key of the authors' configs with its meaning there.
  kOurs,     ///< A key this suite adds.
  kIgnored,  ///< A key of the authors' configs that has no effect here (accepted so their files
             ///< parse).
};

/// One accepted configuration key.
struct ConfigKey {
  /// Full dotted key, e.g. training.scheduler.milestones.
  std::string key;
  /// Who defines it.
  KeyOrigin origin = KeyOrigin::kAuthors;
  /// Whether a configuration must set it.
  bool required = false;
  /// One-line description.
  std::string description;
  /// A valid value in YAML syntax, other than the shipped configs' usual one where the key has an
  /// effect (`--set <key>=<example>`); the schema-driven tests set every key to it.
  std::string example;
};

/// Every accepted key, in the canonical order of to_yaml() (ignored keys included). The table is
/// experiments/config/config_schema.cpp: the one place to add a key.
const std::vector<ConfigKey>& config_schema();

/// Canonical dataset names a config may name.
std::vector<std::string> dataset_names();

/// Defaults of the dataset section for `name` (file, image size, channels, n_images, eval_images,
/// protocol); the authors' `dsprites_gray` is accepted for multi_dsprites. Unknown names raise
/// dti::Error listing the valid ones.
DatasetConfig dataset_defaults(const std::string& name);

/// Directory of the shipped configs: $DTI_CONFIG_DIR when set, else experiments/configs of the
/// source tree this library was built from.
std::string default_config_dir();

/// Resolves a config argument: a bare name such as `tetrominoes` becomes
/// `<default_config_dir()>/tetrominoes.yml`; anything with a '/' or a .yml/.yaml suffix is a path
/// and is returned unchanged.
std::string resolve_config_path(const std::string& name_or_path);

/// Reads a YAML config file and applies `overrides` (`dotted.key=value`, values in YAML syntax:
/// `model.n_sprites=10`, `training.scheduler.milestones=[2,4]`). Any problem raises dti::Error
/// naming the file, the dotted key, the value and what is valid.
RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});

/// Same as load_config() on YAML text; `source_name` names it in messages and in RunConfig::source.
RunConfig parse_config(const std::string& yaml_text, const std::string& source_name,
                       const std::vector<std::string>& overrides = {});

/// Canonical, fully resolved YAML: every effective key in a fixed order and format, so equal
/// configurations give the same text and parse_config(to_yaml(c)) == c.
std::string to_yaml(const RunConfig& config);

/// SHA-256 of to_yaml(config), as 64 lowercase hex digits: the identity of a configuration.
std::string config_hash(const RunConfig& config);

namespace detail {

/// One override with the words that name its origin in messages (e.g. "--set k=v").
struct Override {
  std::string text;  ///< `dotted.key=value`.
  std::string
      origin;  ///< e.g. "--set model.n_sprites=3" or "preset 'quick' (model.freeze_sprite=1)".
};

/// parse_config() with overrides of any origin, applied in order (later ones win).
RunConfig parse_config_with(const std::string& yaml_text, const std::string& source_name,
                            const std::vector<Override>& overrides);

/// Overrides given on the command line, labelled "--set <text>".
std::vector<Override> user_overrides(const std::vector<std::string>& overrides);

/// Reads a whole file; a missing file raises dti::Error naming it.
std::string read_text_file(const std::string& path);

}  // namespace detail

}  // namespace dti::experiments
