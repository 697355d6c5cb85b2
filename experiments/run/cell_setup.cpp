// What a cell's run is set up with before it trains: its folder, its configuration (the cell's
// overrides, then the command line's, then the seed), its dataset file (generated when missing),
// the device it was asked for, the dataset's reader; and the evaluation of a run's checkpoint.
#include <filesystem>
#include <iostream>
#include <memory>

#include "base/error.h"
#include "core/checkpoint.h"
#include "core/model.h"
#include "datasets/catalogue.h"
#include "datasets/dataset_file.h"
#include "experiments/config/output_layout.h"
#include "experiments/config/presets.h"
#include "experiments/run/cell_run.h"
#include "experiments/run/device_choice.h"
#include "experiments/run/evaluate.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// The name a dataset file must carry: any for the user's own images (`dataset.name: folder`,
// whose file keeps the name of the folder it was converted from).
std::string reader_name(const std::string& dataset) {
  return dataset == datasets::kFolderDataset ? "" : dataset;
}

}  // namespace

std::string run_folder(const std::string& out_dir, const std::string& store_experiment,
                       const std::string& cell, int64_t seed, const std::string& config_hash) {
  return layout::run_folder(out_dir, store_experiment, cell, seed, config_hash);
}

RunConfig cell_config(const CellDefinition& cell, const RunnerOptions& options, int64_t seed) {
  std::vector<std::string> overrides = cell.overrides;
  overrides.insert(overrides.end(), options.overrides.begin(), options.overrides.end());
  overrides.push_back("training.seed=" + std::to_string(seed));
  return load_config(resolve_config_path(cell.config), options.preset, overrides);
}

bool is_generated(const std::string& name) {
  const datasets::DatasetEntry* entry = datasets::find_dataset(name);
  return entry != nullptr && entry->generated();
}

// Generated sets of another size than the paper's get their own file, so a smoke run never
// leaves a 48-image `tetrominoes.h5` where a paper run expects 60,000 images.
std::string dataset_path(const DatasetConfig& dataset, const std::string& data_dir) {
  std::string file = dataset.file;
  if (is_generated(dataset.name) && dataset.file == dataset.name + ".h5" && dataset.n_images > 0 &&
      dataset.n_images != datasets::dataset_entry(dataset.name).default_images) {
    file = dataset.name + "_n" + std::to_string(dataset.n_images) + ".h5";
  }
  return data_dir + "/" + file;
}

std::string ensure_dataset(const RunConfig& config, const std::string& data_dir,
                           std::ostream& log) {
  const auto& dataset = config.dataset;
  const std::string path = dataset_path(dataset, data_dir);
  if (fs::exists(path)) return path;
  if (!is_generated(dataset.name)) throw MissingData(datasets::make_command(dataset.name, path));
  fs::create_directories(data_dir);
  const int64_t count = dataset.n_images > 0 ? dataset.n_images
                                             : datasets::dataset_entry(dataset.name).default_images;
  log << "data: " << path << " is missing: generating " << count << " " << dataset.name
      << " images (seed " << kDataSeed << ")" << std::endl;
  datasets::generate(dataset.name, count, kDataSeed, /*show_progress=*/true, path);
  return path;
}

at::Device parse_device(const std::string& requested) {
  const std::string name = choose_device(requested).device;
  at::Device device(at::kCPU);
  try {
    device = at::Device(name);
  } catch (const std::exception&) {
    throw Error("--device: unknown device '" + name + "'; valid: " + kDeviceNames);
  }
  DTI_CHECK(
      !device.is_cuda() || at::hasCUDA(), "--device ", name,
      ": this build of LibTorch has no CUDA support or no GPU is visible; use --device cpu or "
      "build against a CUDA LibTorch (docs/building.md)");
  return device;
}

std::shared_ptr<const datasets::DatasetReader> open_dataset(const std::string& path,
                                                            const RunConfig& config) {
  const std::string wanted = reader_name(config.dataset.name);
  std::shared_ptr<const datasets::DatasetReader> reader;
  try {
    reader = std::make_shared<const datasets::DatasetReader>(path, "");
  } catch (const Error&) {
    // Unreadable: open again naming the dataset, for the error that says how to make it.
    return std::make_shared<const datasets::DatasetReader>(path, wanted);
  }
  const auto& info = reader->info();
  DTI_CHECK(wanted.empty() || info.name == wanted, path, " holds dataset '", info.name, "' (",
            info.size, " images of ", info.height, "x", info.width,
            info.has_labels ? ", labelled" : "", "), but ", config.source, " trains '", wanted,
            "'. To train on these images use `runexp cluster --data ", path,
            " --sprites K` or `runexp decompose --data ", path,
            " --sprites K --layers L`; to train ", wanted, ", point dataset.file at a ", wanted,
            " file (made by `", datasets::make_command(wanted, "NEW_FILE.h5"), "`)");
  return reader;
}

void evaluate_checkpoint(const std::string& checkpoint, const RunnerOptions& options,
                         std::ostream& out) {
  auto ck = core::load_checkpoint(checkpoint);
  DTI_CHECK(ck.metadata.count("config"), checkpoint,
            " has no configuration inside; was it written by runexp?");
  auto config = parse_config(ck.meta("config"), checkpoint + " (stored configuration)");
  const std::string data_path = ensure_dataset(config, options.data_dir, std::cerr);
  datasets::DatasetReader reader(data_path, reader_name(config.dataset.name));
  core::DtiSprites model(config.model, config.seed);
  model.to(parse_device(options.device));
  core::copy_named(ck, core::model_tensors(model));
  model.set_epoch(std::stoll(ck.meta("epoch")));
  const auto result = evaluate(model, reader, config.dataset, config.batch_size);
  out << "checkpoint " << checkpoint << " (iteration " << ck.meta("iteration") << "), "
      << config.dataset.name << ", " << result.images << " images, protocol "
      << eval_protocol_name(config.dataset.eval) << "\n";
  for (const auto& [name, value] : result.metrics) out << "  " << name << " = " << value << "\n";
}

}  // namespace dti::experiments
