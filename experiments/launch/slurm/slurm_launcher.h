#pragma once
// `runexp <experiment> --launcher slurm`: an experiment's unfinished runs as one Slurm job array
// (one task per run), plus a last job (--dependency=afterany on the array) that runs
// `runexp collect`. Slurm places, runs and requeues; we only submit. Each task runs
// `runexp run-cell ... --folder-record` (cell_job.h), the same code path as a local run, and
// writes its result into its own run folder (run_record.h says why no task writes the store).
// Tasks are submitted with --requeue and --signal=B:USR1@<seconds>: the batch script forwards
// the signal to runexp, which writes its checkpoint and exits 4 (run_status.h); the script then
// requeues the task, which resumes from that checkpoint.

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "experiments/config/runner_options.h"
#include "experiments/launch/cell_job.h"
#include "experiments/launch/launcher.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// Checks made before anything is submitted; throws dti::Error for sbatch missing from PATH, a
/// partition Slurm does not know (with Slurm's words) or GPUs asked of a CPU-only LibTorch.
/// (submit_to_slurm() also warns about a --time too short: time_limit_warning().)
void check_slurm_setup(const RunnerOptions& options, std::ostream& log);

/// "" or a warning that --time leaves the tasks of `jobs` no training (not longer than
/// --signal-seconds) or less training before the checkpoint signal than one checkpoint interval of
/// some cell takes at its expected speed (expected_rate(): the store's finished runs on the tasks'
/// device, else the CPU benchmark's; cells of unknown speed are not judged). Approximate: start-up
/// and evaluation are not counted.
std::string time_limit_warning(const ExperimentDefinition& experiment,
                               const std::vector<CellJob>& jobs, const RunnerOptions& options);

/// The batch script of a job array running `jobs` (task i runs jobs[i]) with `runexp` at `self`.
/// Paths in `jobs` should be absolute (tasks start in another folder, maybe on another node).
std::string slurm_batch_script(const std::string& experiment, const std::vector<CellJob>& jobs,
                               const RunnerOptions& options, const std::string& self);

/// Collects finished records, then submits the runs of `jobs` that the store does not hold as
/// finished (and whose data exists) as one job array and the collect job; prints the job ids to
/// `out` (with --dry-run, prints the batch script instead). Returns 0, or 1 when sbatch fails.
int submit_to_slurm(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
                    const RunnerOptions& options, std::ostream& out, std::ostream& log);

/// The Slurm launcher (launcher.h): launch() is submit_to_slurm().
std::unique_ptr<Launcher> make_slurm_launcher(const RunnerOptions& options);

/// Seconds of a Slurm --time value ("MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM",
/// "D-HH:MM:SS"); -1 for "" or "UNLIMITED"; throws dti::Error for anything else.
long slurm_time_seconds(const std::string& text);

}  // namespace dti::experiments
