// What a cell's run is set up with before it trains: its folder, its configuration (the cell's
// overrides, then the command line's, then the seed), its dataset file (generated when missing),
// and the device it was asked for.
#include <filesystem>

#include "base/error.h"
#include "datasets/catalogue.h"
#include "experiments/config/output_layout.h"
#include "experiments/config/presets.h"
#include "experiments/run/cell_run.h"
#include "experiments/run/device_choice.h"

namespace dti::experiments {
namespace fs = std::filesystem;

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

}  // namespace dti::experiments
