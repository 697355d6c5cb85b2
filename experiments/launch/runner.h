#pragma once
// Runs experiments: every (cell, seed) of a registered experiment through a launcher (this
// machine by default), then the table or figure rendered beside the paper's numbers. The parts:
// cell_run.h (one run in named steps), launcher.h (where runs execute), cell_job.h (a run as a
// command line), plan.h (--dry-run), render.h (tables and reports).

#include <cstdint>
#include <iosfwd>
#include <vector>

#include "experiments/config/runner_options.h"
#include "experiments/launch/plan.h"
#include "experiments/results/render.h"
#include "experiments/run/cell_run.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// Runs every cell of `experiment` over `seeds` (in parallel when options.jobs > 1), then prints
/// the paper table (or the figure's sweep) to `out` and writes tables and the HTML report under
/// out_dir. Returns 0 when every run finished or was missing data, 1 when some run failed.
int run_experiment(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                   const RunnerOptions& options, std::ostream& out, std::ostream& log);

}  // namespace dti::experiments
