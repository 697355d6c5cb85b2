#pragma once
// The output folder of `runexp` (--out, default "out"), in one place:
//   <out>/results.sqlite                          the results store (unless --db names another)
//   <out>/runs/<experiment>/<cell>/seed<S>-<hash>/ one run: config, checkpoints, record, events
//   <out>/logs/<experiment>_<cell>_seed<S>.log     a child's output under --jobs
//   <out>/logs/slurm/                             Slurm's own output files
//   <out>/tables/<name>.{md,tex,csv}              rendered tables
//   <out>/reports/<name>/index.html               HTML reports
//   <out>/configs/<command>/<cell>.yml            the resolved configs of own-data runs
//   <out>/experiments/<name>.yml                  experiment files written by `runexp sweep`
// Every reader and writer of these paths asks here.

#include <cstdint>
#include <string>

namespace dti::experiments::layout {

/// The results store's default file name, beside runs/.
inline constexpr const char* kStoreFile = "results.sqlite";
/// The folder of the run folders.
inline constexpr const char* kRunsFolder = "runs";

std::string store_file(const std::string& out_dir);
std::string runs_folder(const std::string& out_dir);
std::string run_folder(const std::string& out_dir, const std::string& experiment,
                       const std::string& cell, int64_t seed, const std::string& config_hash);
std::string logs_folder(const std::string& out_dir);
std::string slurm_logs_folder(const std::string& out_dir);
std::string table_stem(const std::string& out_dir, const std::string& name);
std::string report_folder(const std::string& out_dir, const std::string& name);
std::string own_data_config(const std::string& out_dir, const std::string& command,
                            const std::string& cell);
std::string experiment_file(const std::string& out_dir, const std::string& name);

}  // namespace dti::experiments::layout
