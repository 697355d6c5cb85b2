#pragma once
// The command-line side of the Slurm launcher, kept out of cli.cpp: the experiment options
// (--launcher, --partition, ...), their checks, and the run-cell modes a Slurm task uses.

#include <boost/program_options.hpp>

#include "experiments/config/runner_options.h"
#include "experiments/launch/cell_job.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// --launcher and the Slurm launcher's options, bound to `o`.
boost::program_options::options_description launcher_options(RunnerOptions& o);

/// Throws dti::Error for an unknown --launcher, Slurm options with --launcher local, --jobs with
/// --launcher slurm, or a --device the tasks' GPUs contradict (--gpus-per-run with --device cpu,
/// --device cuda without --gpus-per-run). With --launcher slurm, resolves --device auto by
/// --gpus-per-run (cuda when > 0, else cpu), not by this machine: a login node often has no GPU
/// while the tasks' nodes do. Call it before --device auto is resolved here.
void check_launcher_options(RunnerOptions& o);

/// Runs `job` of `cell` as `runexp run-cell` does and returns its exit code (run_status.h):
/// SIGUSR1 makes it checkpoint and exit 4; --folder-record records into the run folder
/// (run_record.h); --mark-failed only writes a failed record.
int run_cell_job(const ExperimentDefinition& experiment, const CellDefinition& cell,
                 const CellJob& job);

/// `runexp status|collect [EXPERIMENT] [--out DIR] [--db FILE]` after the common options are
/// parsed into `o`.
int status_or_collect(const std::string& command, const std::string& experiment,
                      const RunnerOptions& o);

}  // namespace dti::experiments
