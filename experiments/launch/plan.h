#pragma once
// `runexp <experiment> --dry-run`: what a run of the experiment would do (cells, seeds, data,
// runs already stored) and how long it would train, from measured speeds.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "experiments/config/runner_options.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// Training images per second of `dataset` on `device` (a prefix: "cuda" matches "cuda:1"): the
/// mean of the finished runs of `experiment` in `store` (may be null), else, on the CPU, the speed
/// BM_TrainStep measured on this suite's 2-core machine; 0 when unknown.
double expected_rate(const reports::Store* store, const std::string& experiment,
                     const std::string& dataset, const std::string& device);

/// Prints what run_experiment() would do: cells, seeds, data, runs already stored, estimated time,
/// and with --jobs where the parallel runs go (gpu_placement.h).
void print_plan(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                const RunnerOptions& options, std::ostream& out);

}  // namespace dti::experiments
