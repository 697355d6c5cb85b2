#include "experiments/launch/runner.h"

#include <ostream>

#include "experiments/launch/launcher.h"

namespace dti::experiments {

int run_experiment(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                   const RunnerOptions& options, std::ostream& out, std::ostream& log) {
  std::vector<CellJob> jobs;
  for (const auto& cell : experiment.cells) {
    // An experiment file is named by its path, so that a child process reads the same file.
    const std::string& id = experiment.source.empty() ? experiment.name : experiment.source;
    for (int64_t seed : seeds) jobs.push_back({id, cell.name, seed, options});
  }
  // Local launchers run the jobs and render the table; Slurm submits them and returns.
  return make_launcher(options)->launch(experiment, jobs, out, log);
}

}  // namespace dti::experiments
