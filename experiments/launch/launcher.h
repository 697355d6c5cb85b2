#pragma once
// Launchers run an experiment's (cell, seed) jobs somewhere and say what became of each. The
// local launcher runs them in this process one after another, or as `runexp run-cell` child
// processes (--jobs N) sharing this machine's threads. A cluster launcher (Slurm) implements the
// same interface: every job goes through cell_job.h's command line and run_cell().

#include <iosfwd>
#include <memory>
#include <utility>
#include <vector>

#include "experiments/config/runner_options.h"
#include "experiments/launch/cell_job.h"
#include "experiments/run/cell_run.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// Where and how an experiment's jobs run: this machine (make_local_launcher) or a Slurm
/// cluster (slurm/slurm_launcher.h); make_launcher() picks by options.launcher.
class Launcher {
 public:
  virtual ~Launcher() = default;
  /// Starts the runs of `jobs` (cells of `experiment`), says what it did on `out` (the outcomes
  /// and tables, or the cluster's job ids) and returns the command's exit status: 0 when nothing
  /// failed.
  virtual int launch(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
                     std::ostream& out, std::ostream& log) = 0;
};

/// A launcher that runs the jobs itself, so it knows each outcome when it returns.
class LocalLauncher : public Launcher {
 public:
  explicit LocalLauncher(RunnerOptions options) : options_(std::move(options)) {}
  /// Runs `jobs` and returns one outcome per job, in any order. Progress goes to `log`.
  virtual std::vector<CellRun> run(const ExperimentDefinition& experiment,
                                   const std::vector<CellJob>& jobs, std::ostream& log) = 0;
  /// run(), then each outcome and the experiment's table or figure (render.h) on `out`; 1 when
  /// some run failed.
  int launch(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
             std::ostream& out, std::ostream& log) override;

 protected:
  RunnerOptions options_;  ///< The command's options (each job carries its own copy too).
};

/// This machine: in process when options.jobs <= 1, else up to options.jobs child processes
/// (each with threads / jobs LibTorch threads, its output in <out>/logs/); on device cuda they
/// are spread over the GPUs, options.runs_per_gpu at most on each (gpu_placement.h).
std::unique_ptr<LocalLauncher> make_local_launcher(const RunnerOptions& options);

/// The launcher options.launcher names: "local" or "slurm".
std::unique_ptr<Launcher> make_launcher(const RunnerOptions& options);

}  // namespace dti::experiments
