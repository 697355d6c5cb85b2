#include "experiments/launch/runner.h"

#include <ostream>

#include "experiments/launch/launcher.h"
#include "experiments/launch/slurm/slurm_launcher.h"

namespace dti::experiments {

int run_experiment(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                   const RunnerOptions& options, std::ostream& out, std::ostream& log) {
  std::vector<CellJob> jobs;
  for (const auto& cell : experiment.cells) {
    for (int64_t seed : seeds) jobs.push_back({experiment.name, cell.name, seed, options});
  }
  // Slurm runs the jobs later, elsewhere: submit, print the job ids and return (slurm_launcher.h).
  if (options.launcher == "slurm") return submit_to_slurm(experiment, jobs, options, out, log);
  const auto results = make_local_launcher(options)->run(experiment, jobs, log);
  int failed = 0;
  out << "\n" << experiment.name << ": " << results.size() << " runs\n";
  for (const auto& r : results) {
    out << "  " << r.cell << " seed " << r.seed << ": " << status_name(r.status)
        << (r.detail.empty() ? "" : " (" + r.detail + ")") << "\n";
    failed += r.status == RunStatus::kFailed;
  }
  render_results(experiment, options, out);
  return failed > 0 ? 1 : 0;
}

}  // namespace dti::experiments
