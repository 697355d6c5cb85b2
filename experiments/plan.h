#pragma once
// `runexp <experiment> --dry-run`: what a run of the experiment would do (cells, seeds, data,
// runs already stored) and how long it would train, from measured speeds.

#include <cstdint>
#include <iosfwd>
#include <vector>

#include "experiments/registry.h"
#include "experiments/runner_options.h"

namespace dti::experiments {

/// Prints what run_experiment() would do: cells, seeds, data, runs already stored, estimated time.
void print_plan(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                const RunnerOptions& options, std::ostream& out);

}  // namespace dti::experiments
