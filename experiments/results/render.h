#pragma once
// Tables and reports of an experiment from the results store: the paper table (Markdown, LaTeX,
// CSV) or the figure's sweep, and the static HTML report.

#include <iosfwd>

#include "experiments/config/runner_options.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// Renders the tables (Markdown, LaTeX, CSV) and the HTML report of `experiment` from the store;
/// prints the Markdown table (or sweep summary) to `out`.
void render_results(const ExperimentDefinition& experiment, const RunnerOptions& options,
                    std::ostream& out);

}  // namespace dti::experiments
