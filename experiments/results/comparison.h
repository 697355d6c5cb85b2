#pragma once
// The table of an experiment that is not one of the paper's: per cell, each metric's mean ± std
// over the kept seeds and, with a baseline, each cell's difference to it with its 95% percentile
// bootstrap interval over seeds (reports/aggregate.h compare_variants) and whether the interval
// excludes 0, i.e. whether the change beats seed noise. `runexp compare` prints it alone.

#include <string>
#include <vector>

#include "experiments/config/runner_options.h"
#include "experiments/suite/registry.h"
#include "reports/store.h"

namespace dti::experiments {

/// Fewer kept seeds than this in either cell: "too few seeds" instead of an interval.
inline constexpr size_t kMinSeedsForInterval = 3;

/// What to compare; empty fields take the experiment's (its baseline, its metrics, else the
/// evaluation protocol's of its first cell).
struct ComparisonOptions {
  std::string baseline;
  std::vector<std::string> metrics;
  /// The table follows a run of this invocation (its preset and --set are named), not a reading
  /// of the store alone (`runexp compare`: each run's config is in the store).
  bool after_run = true;
};

/// The metrics the table shows; throws dti::Error for a metric the store's table does not know.
std::vector<std::string> comparison_metrics(const ExperimentDefinition& experiment,
                                            const RunnerOptions& options,
                                            const ComparisonOptions& compare);

/// The Markdown table with its footnote (what the interval is, how many resamples and seeds).
std::string render_comparison(const ExperimentDefinition& experiment, const RunnerOptions& options,
                              const reports::Store& store, const ComparisonOptions& compare);

}  // namespace dti::experiments
