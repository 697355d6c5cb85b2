#pragma once
// Settings shared by the runs of one `runexp` invocation, and the results store they name.

#include <string>
#include <vector>

#include "experiments/config/slurm_options.h"
#include "reports/store.h"

namespace dti::experiments {

/// Settings shared by the runs of one `runexp` invocation.
struct RunnerOptions {
  std::string data_dir = "data";       ///< Where dataset files live (generated ones are made here).
  std::string out_dir = "out";         ///< Checkpoints, artifacts, tables and reports.
  std::string db_path;                 ///< Results store; "" = <out_dir>/results.sqlite.
  std::string device = "cpu";          ///< cpu, cuda or cuda:<i>.
  std::string preset = "paper";        ///< paper, quick or smoke.
  std::vector<std::string> overrides;  ///< The user's --set key=value, applied last.
  int threads = 0;                     ///< LibTorch threads (0 = all logical CPUs).
  int jobs = 1;                        ///< Runs in parallel (child processes).
  int runs_per_gpu = 1;                ///< With jobs > 1 on cuda: runs sharing one GPU at most.
  std::string gpus;                    ///< GPUs to spread runs over ("0,1"; "" = all visible).
  std::string launcher = "local";      ///< local (this machine) or slurm (slurm_launcher.h).
  SlurmOptions slurm;                  ///< The Slurm launcher's settings.
  bool dry_run = false;                ///< Print the plan only.
  bool quiet = false;                  ///< Fewer progress lines.
  bool tensorboard = true;             ///< TensorBoard events in each run folder.
  std::string self_path;  ///< The runexp executable (to spawn jobs); "" = /proc/self/exe.
  /// The results store path with its default resolved.
  std::string store_path() const;
};

/// Opens (creating its folder and file when needed) the results store of `options`.
reports::Store open_store(const RunnerOptions& options);

}  // namespace dti::experiments
