#pragma once
// `runexp status [<experiment>]` and `runexp collect`: where every run of an output folder stands
// (local runs and Slurm tasks alike), and the ingestion of Slurm tasks' run folders into the
// store (run_record.h).

#include <iosfwd>
#include <string>

#include "experiments/config/runner_options.h"

namespace dti::experiments {

/// Prints one line per run of `experiment` (a registered name; "" = every one): state (pending,
/// running, finished, failed, requeued), Slurm job_task, progress (iteration of total, last loss,
/// time left) and log path. Reads the store, the run folders, the Slurm submissions under
/// <out>/slurm and `squeue`; writes nothing. Returns 0, or 1 when a run failed.
int print_status(const std::string& experiment, const RunnerOptions& options, std::ostream& out);

/// `runexp collect`: ingests the ended run folders under options.out_dir into the store;
/// idempotent. Returns 0.
int collect_runs(const RunnerOptions& options, std::ostream& out, std::ostream& log);

}  // namespace dti::experiments
