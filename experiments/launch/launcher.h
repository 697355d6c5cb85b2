#pragma once
// Launchers run an experiment's (cell, seed) jobs somewhere and say what became of each. The
// local launcher runs them in this process one after another, or as `runexp run-cell` child
// processes (--jobs N) sharing this machine's threads. A cluster launcher (Slurm) implements the
// same interface: every job goes through cell_job.h's command line and run_cell().

#include <iosfwd>
#include <memory>
#include <vector>

#include "experiments/config/runner_options.h"
#include "experiments/launch/cell_job.h"
#include "experiments/run/cell_run.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// Where and how an experiment's jobs run.
class Launcher {
 public:
  virtual ~Launcher() = default;
  /// Runs `jobs` (cells of `experiment`) and returns one outcome per job, in any order. Progress
  /// goes to `log`.
  virtual std::vector<CellRun> run(const ExperimentDefinition& experiment,
                                   const std::vector<CellJob>& jobs, std::ostream& log) = 0;
};

/// This machine: in process when options.jobs <= 1, else up to options.jobs child processes
/// (each with threads / jobs LibTorch threads, its output in <out>/logs/); on device cuda they
/// are spread over the GPUs, options.runs_per_gpu at most on each (gpu_placement.h).
std::unique_ptr<Launcher> make_local_launcher(const RunnerOptions& options);

}  // namespace dti::experiments
