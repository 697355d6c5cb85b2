#include "datasets/catalogue.h"

#include "base/error.h"
#include "base/strings.h"
#include "datasets/multi_dsprites.h"
#include "datasets/tetrominoes.h"

namespace dti::datasets {
namespace {

// Tetrominoes and Multi-dSprites: the authors train on the first 60,000 records of DeepMind's
// files (their multi_object.py), and score 320 images (docs/evaluation.md#instance-segmentation).
constexpr int64_t kPaperMultiObjectImages = 60000;
constexpr int64_t kInstanceEvalImages = 320;

// A generator's options with the count, seed and progress of the call, then the generator.
template <typename Options>
void run_generator(Options options, void (*generator)(const Options&, const std::string&),
                   int64_t count, uint64_t seed, bool progress, const std::string& path) {
  options.count = count;
  options.seed = seed;
  options.show_progress = progress;
  generator(options, path);
}

void generate_tetrominoes_file(int64_t n, uint64_t seed, bool progress, const std::string& path) {
  run_generator(TetrominoesOptions{}, generate_tetrominoes, n, seed, progress, path);
}

void generate_multi_dsprites_file(int64_t n, uint64_t seed, bool progress,
                                  const std::string& path) {
  run_generator(MultiDspritesOptions{}, generate_multi_dsprites, n, seed, progress, path);
}

void generate_multi_dsprites2_file(int64_t n, uint64_t seed, bool progress,
                                   const std::string& path) {
  run_generator(MultiDspritesOptions::two_objects(), generate_multi_dsprites, n, seed, progress,
                path);
}

std::vector<DatasetEntry> make_catalogue() {
  std::vector<DatasetEntry> c;
  c.push_back({"tetrominoes",
               {},
               "Tetrominoes",
               35,
               3,
               kPaperMultiObjectImages,
               kInstanceEvalImages,
               "instance",
               generate_tetrominoes_file,
               convert_tetrominoes,
               "tetrominoes_train.tfrecords",
               "first 60,000 records"});
  c.push_back({"multi_dsprites",
               {"dsprites_gray"},
               "Multi-dSprites",
               64,
               3,
               kPaperMultiObjectImages,
               kInstanceEvalImages,
               "instance",
               generate_multi_dsprites_file,
               convert_multi_dsprites,
               "multi_dsprites_colored_on_grayscale.tfrecords",
               "first 60,000"});
  c.push_back({"multi_dsprites2",
               {},
               "Multi-dSprites2",
               64,
               3,
               kPaperMultiObjectImages,
               kInstanceEvalImages,
               "instance",
               generate_multi_dsprites2_file,
               nullptr,
               "",
               ""});
  c.push_back({"clevr6",
               {},
               "CLEVR6",
               128,
               3,
               0,
               kInstanceEvalImages,
               "instance",
               nullptr,
               convert_clevr6,
               "clevr_with_masks_train.tfrecords",
               "<= 6 objects among the first 70,000"});
  c.push_back({"svhn",
               {},
               "SVHN",
               32,
               3,
               0,
               0,
               "clustering",
               nullptr,
               convert_svhn,
               "test_32x32.mat train_32x32.mat extra_32x32.mat",
               ""});
  c.push_back({"gtsrb8",
               {},
               "GTSRB-8",
               28,
               3,
               0,
               0,
               "clustering",
               nullptr,
               convert_gtsrb8,
               "GTSRB/Final_Training/Images",
               "extracted training archive"});
  c.push_back({"weizmann_horse",
               {},
               "Weizmann Horse",
               128,
               3,
               0,
               0,
               "cosegmentation",
               nullptr,
               convert_weizmann_horse,
               "weizmann_horse_db",
               "with rgb/ and figure_ground/"});
  // Your own images (`runexp data convert folder`): image size, labels and classes come from the
  // file (runexp cluster / decompose write them into the config); 64 is a placeholder.
  c.push_back({kFolderDataset,
               {},
               "your images",
               64,
               3,
               0,
               0,
               "clustering",
               nullptr,
               convert_folder,
               "YOUR_IMAGES_DIR",
               "labels from sub-folders or --labels CSV; --size N resizes"});
  return c;
}

std::vector<std::string> names_where(bool (*keep)(const DatasetEntry&)) {
  std::vector<std::string> names;
  for (const auto& e : dataset_catalogue()) {
    if (keep(e)) names.push_back(e.name);
  }
  return names;
}

}  // namespace

const std::vector<DatasetEntry>& dataset_catalogue() {
  static const std::vector<DatasetEntry> catalogue = make_catalogue();
  return catalogue;
}

const DatasetEntry* find_dataset(const std::string& name) {
  for (const auto& e : dataset_catalogue()) {
    if (e.name == name) return &e;
    for (const auto& alias : e.aliases) {
      if (alias == name) return &e;
    }
  }
  return nullptr;
}

const DatasetEntry& dataset_entry(const std::string& name) {
  const DatasetEntry* entry = find_dataset(name);
  if (entry == nullptr) throw Error(unknown_name_message("dataset", name, known_dataset_names()));
  return *entry;
}

std::vector<std::string> known_dataset_names() {
  return names_where([](const DatasetEntry&) { return true; });
}

std::vector<std::string> generator_names() {
  return names_where([](const DatasetEntry& e) { return e.generated(); });
}

std::vector<std::string> converter_names() {
  return names_where([](const DatasetEntry& e) { return e.convert != nullptr; });
}

void generate(const std::string& name, int64_t count, uint64_t seed, bool show_progress,
              const std::string& path) {
  const DatasetEntry* entry = find_dataset(name);
  if (entry == nullptr || !entry->generated()) {
    throw Error(unknown_name_message("generated dataset", name, generator_names()));
  }
  entry->generate(count, seed, show_progress, path);
}

ConvertSummary convert(const std::string& name, const ConvertOptions& options) {
  if (name == "folder") return convert_folder(options);
  const DatasetEntry* entry = find_dataset(name);
  if (entry == nullptr || entry->convert == nullptr) {
    throw Error("unknown converter '" + name + "'; valid: " + join(converter_names()));
  }
  return entry->convert(options);
}

std::string make_command(const std::string& name, const std::string& path, int64_t count) {
  const std::string out = " --out " + path;
  const DatasetEntry* e = find_dataset(name);
  if (e == nullptr) {
    return "runexp data generate " + join(generator_names(), "|") + " --n N --seed S" + out +
           ", or runexp data convert " + join(converter_names(), "|") + " --input PATH..." + out +
           " (see runexp data --help)";
  }
  const std::string convert = convert_command(e->name, path);
  if (!e->generated()) return convert;
  const int64_t n = count > 0 ? count : e->default_images;
  std::string command =
      "runexp data generate " + e->name + " --n " + std::to_string(n) + " --seed 0" + out;
  if (e->convert) command += " (or from DeepMind's file: " + convert + ")";
  return command;
}

std::string convert_command(const std::string& name, const std::string& path) {
  const DatasetEntry* e = find_dataset(name);
  if (e == nullptr || e->convert == nullptr) return "";
  return "runexp data convert " + e->name + " --input " + e->convert_input + " --out " + path;
}

std::string converter_usage() {
  std::string usage;
  for (const auto& e : dataset_catalogue()) {
    if (e.convert == nullptr || e.name == kFolderDataset) continue;  // its own line below
    std::string line = "  " + e.name;
    line.resize(std::max<size_t>(line.size() + 2, 18), ' ');
    line += "--input " + e.convert_input;
    if (!e.convert_note.empty()) line += " (" + e.convert_note + ")";
    usage += line + "\n";
  }
  return usage +
         "  folder          --input DIR [--labels CSV] [--size N] (labels from CSV or "
         "sub-folders)\n";
}

}  // namespace dti::datasets
