#pragma once
// The Slurm launcher's settings (`runexp <experiment> --launcher slurm ...`; slurm_launcher.h).

#include <string>
#include <vector>

namespace dti::experiments {

/// What each task of the job array asks Slurm for; "" / 0 leave Slurm's defaults.
struct SlurmOptions {
  std::string partition;                 ///< --partition.
  int gpus_per_run = 0;                  ///< --gpus-per-task (0 = none).
  int cpus_per_run = 0;                  ///< --cpus-per-task (0 = Slurm's default).
  std::string mem;                       ///< --mem, e.g. 16G.
  std::string time;                      ///< --time, e.g. 1-00:00:00.
  std::string account;                   ///< --account.
  std::string qos;                       ///< --qos.
  std::vector<std::string> sbatch_args;  ///< Passed to sbatch as they are (--sbatch-arg).
  int signal_seconds = 300;              ///< --signal=B:USR1@<seconds> before the time limit.
};

}  // namespace dti::experiments
