#pragma once
// Which of an experiment's (cell, seed) jobs still need a run: the one check that the dry-run
// plan and the Slurm launcher make before starting anything. A run counts as done when the
// store holds it finished with the same configuration hash (a changed config or --set trains
// again). The local launchers need no list: each run claims itself in the store when it starts
// (cell_run.h), which is the final word for all three.

#include <iosfwd>
#include <string>
#include <vector>

#include "experiments/launch/cell_job.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// What a job needs.
enum class JobState {
  kPending,      ///< To be run.
  kFinished,     ///< The store holds it finished with this configuration.
  kMissingData,  ///< Its dataset file is missing and cannot be generated.
};

/// One job and its state; `detail` says why a job is not pending (for logs).
struct JobCheck {
  CellJob job;
  JobState state = JobState::kPending;
  std::string detail;
};

/// The state of each job, in order, from the store at options.store_path() (none: nothing
/// finished) and the data folder. With `make_data`, a missing generated dataset is generated
/// now (progress on `log`); without, it counts as pending ("will be generated").
std::vector<JobCheck> check_jobs(const ExperimentDefinition& experiment,
                                 const std::vector<CellJob>& jobs, const RunnerOptions& options,
                                 bool make_data, std::ostream& log);

}  // namespace dti::experiments
