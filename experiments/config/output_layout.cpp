#include "experiments/config/output_layout.h"

#include <filesystem>

#include "experiments/config/runner_options.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace layout {

std::string store_file(const std::string& out_dir) { return out_dir + "/" + kStoreFile; }
std::string runs_folder(const std::string& out_dir) { return out_dir + "/" + kRunsFolder; }
std::string run_folder(const std::string& out_dir, const std::string& experiment,
                       const std::string& cell, int64_t seed, const std::string& config_hash) {
  return runs_folder(out_dir) + "/" + experiment + "/" + cell + "/seed" + std::to_string(seed) +
         "-" + config_hash.substr(0, 10);
}
std::string logs_folder(const std::string& out_dir) { return out_dir + "/logs"; }
std::string slurm_logs_folder(const std::string& out_dir) {
  return logs_folder(out_dir) + "/slurm";
}
std::string table_stem(const std::string& out_dir, const std::string& name) {
  return out_dir + "/tables/" + name;
}
std::string report_folder(const std::string& out_dir, const std::string& name) {
  return out_dir + "/reports/" + name;
}
std::string own_data_config(const std::string& out_dir, const std::string& command,
                            const std::string& cell) {
  return out_dir + "/configs/" + command + "/" + cell + ".yml";
}

std::string experiment_file(const std::string& out_dir, const std::string& name) {
  return out_dir + "/experiments/" + name + ".yml";
}

}  // namespace layout

std::string RunnerOptions::store_path() const {
  return db_path.empty() ? layout::store_file(out_dir) : db_path;
}

reports::Store open_store(const RunnerOptions& options) {
  const fs::path path(options.store_path());
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  return reports::Store::open(path.string());
}

}  // namespace dti::experiments
