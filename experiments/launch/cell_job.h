#pragma once
// One (experiment, cell, seed) as a command line: what a launcher hands to a child process
// (`runexp run-cell ...`, a Slurm task) and what the child reads back. Building and parsing live
// here, side by side over one flag table, so the two cannot drift apart.

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/config/runner_options.h"

namespace dti::experiments {

/// A run to make: the experiment and cell by name, the seed, and the invocation's settings.
struct CellJob {
  std::string experiment;  ///< Registered experiment name (table1, fig8, ...).
  std::string cell;        ///< Cell name within it.
  int64_t seed = 0;        ///< Training seed.
  RunnerOptions options;   ///< Preset, device, folders, store, threads, overrides, quiet.
  /// --folder-record: a Slurm task; records the run in its folder, never in the shared store
  /// (run_record.h).
  bool folder_record = false;
  /// --mark-failed REASON: only write a failed record for a task that died (run_record.h).
  std::string mark_failed{};
};

/// The arguments after `runexp run-cell` that make the child run `job`.
std::vector<std::string> cell_job_args(const CellJob& job);

/// Reads arguments written by cell_job_args(); throws dti::Error naming an unknown flag, a
/// missing value or a missing required field.
CellJob parse_cell_job_args(const std::vector<std::string>& args);

}  // namespace dti::experiments
