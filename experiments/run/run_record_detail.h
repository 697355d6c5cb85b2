#pragma once
// What run_record.cpp (the folder record) and folder_run.cpp (the Slurm task that writes it)
// share; not for other files.

#include <cstdint>
#include <string>

#include "experiments/config/config.h"
#include "experiments/config/runner_options.h"
#include "experiments/suite/registry.h"
#include "reports/store.h"

namespace dti::experiments::detail {

/// Now, UTC, ISO 8601 to the second.
std::string utc_now();
/// This machine's host name.
std::string host_name();
/// An environment variable, "" when unset.
std::string env(const char* name);
/// "<array job>_<task>" of the Slurm task this process belongs to, or "".
std::string slurm_task();
/// The store's description of (experiment, cell, seed) with `config` on this build.
reports::RunSpec make_spec(const ExperimentDefinition& experiment, const CellDefinition& cell,
                           int64_t seed, const RunConfig& config, const RunnerOptions& options);

}  // namespace dti::experiments::detail
