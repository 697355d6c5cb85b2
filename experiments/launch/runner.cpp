#include "experiments/launch/runner.h"

#include <ostream>

#include "experiments/launch/launcher.h"

namespace dti::experiments {

int run_experiment(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                   const RunnerOptions& options, std::ostream& out, std::ostream& log) {
  std::vector<CellJob> jobs;
  for (const auto& cell : experiment.cells) {
    for (int64_t seed : seeds) jobs.push_back({experiment.name, cell.name, seed, options});
  }
  // Local launchers run the jobs and render the table; Slurm submits them and returns.
  return make_launcher(options)->launch(experiment, jobs, out, log);
}

}  // namespace dti::experiments
