#pragma once
// The dataset catalogue: every fact about a named dataset in one entry (name and aliases, image
// size, how the file is made, default size, evaluation protocol). Adding a dataset is one entry
// here plus its generator or converter. Every list of dataset names, the `runexp data` help, the
// "make it with" commands of missing or damaged files and the experiments' dataset table read it.

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/convert.h"

namespace dti::datasets {

/// Writes `count` generated images made from `seed` to `path` (atomically).
using GenerateFn = void (*)(int64_t count, uint64_t seed, bool show_progress,
                            const std::string& path);
/// Converts the original download (ConvertOptions::inputs) to a dataset file.
using ConvertFn = ConvertSummary (*)(const ConvertOptions& options);

/// The dataset of a file made by `runexp data convert folder` from the user's own images, whatever
/// name the file carries: `dataset.name: folder` in a config (runexp cluster / decompose).
constexpr const char* kFolderDataset = "folder";

/// One dataset the suite knows by name.
struct DatasetEntry {
  std::string name;                  ///< Canonical name, e.g. "multi_dsprites".
  std::vector<std::string> aliases;  ///< Other accepted names (the authors' config names).
  std::string title;                 ///< Name in the paper's tables, e.g. "Multi-dSprites".
  int64_t image_size = 0;            ///< Square image side the paper trains on.
  int64_t channels = 3;              ///< Colour channels (every file stores RGB).
  /// Images of the paper's training set when generated or read from records; 0 = the whole file.
  int64_t default_images = 0;
  /// Images scored by the evaluation; 0 = every image of the evaluated parts.
  int64_t eval_images = 0;
  /// Evaluation protocol key: "instance", "clustering" or "cosegmentation" (docs/evaluation.md).
  std::string eval_protocol;
  GenerateFn generate = nullptr;  ///< Our generator, or nullptr when the data must be converted.
  ConvertFn convert = nullptr;    ///< Converter of the original download, or nullptr.
  std::string convert_input;  ///< What `--input` expects, e.g. "clevr_with_masks_train.tfrecords".
  std::string convert_note;   ///< What the converter keeps, e.g. "first 60,000 records".

  bool generated() const { return generate != nullptr; }
};

/// Every entry, in the order the command line lists them.
const std::vector<DatasetEntry>& dataset_catalogue();

/// The entry named `name` or one of its aliases; nullptr when there is none.
const DatasetEntry* find_dataset(const std::string& name);

/// The entry named `name` or an alias; throws dti::Error listing the valid names otherwise.
const DatasetEntry& dataset_entry(const std::string& name);

/// Canonical names of every entry.
std::vector<std::string> known_dataset_names();
/// Names with a generator (`runexp data generate`).
std::vector<std::string> generator_names();
/// Names accepted by `runexp data convert`: every entry with a converter ("folder" last).
std::vector<std::string> converter_names();

/// Generates dataset `name` (throws for a name without generator).
void generate(const std::string& name, int64_t count, uint64_t seed, bool show_progress,
              const std::string& path);

/// Runs the converter called `name`; throws dti::Error listing the valid names for another.
ConvertSummary convert(const std::string& name, const ConvertOptions& options);

/// The `runexp data` command that makes dataset `name` at `path` holding `count` images (0 = the
/// entry's default): generate for synthetic data (and the converter of the real records where
/// there is one), convert with the expected download for the others; a generic hint for an
/// unknown name.
std::string make_command(const std::string& name, const std::string& path, int64_t count = 0);

/// `runexp data convert <name> --input <expected download> --out <path>` for a dataset with a
/// converter of its original download; "" for one without (e.g. multi_dsprites2).
std::string convert_command(const std::string& name, const std::string& path);

/// The `runexp data convert` usage lines, one per converter, from the catalogue.
std::string converter_usage();

}  // namespace dti::datasets
