#include "experiments/launch/pending.h"

#include <filesystem>
#include <optional>
#include <ostream>

#include "experiments/config/config.h"
#include "experiments/run/cell_run.h"
#include "reports/store.h"

namespace dti::experiments {
namespace fs = std::filesystem;

std::vector<JobCheck> check_jobs(const ExperimentDefinition& experiment,
                                 const std::vector<CellJob>& jobs, const RunnerOptions& options,
                                 bool make_data, std::ostream& log) {
  std::optional<reports::Store> store;
  if (fs::exists(options.store_path())) store = reports::Store::open(options.store_path());
  std::vector<JobCheck> out;
  for (const auto& job : jobs) {
    JobCheck check{job, JobState::kPending, ""};
    const auto config = cell_config(find_cell(experiment, job.cell), job.options, job.seed);
    const reports::RunKey key{experiment.store_experiment, job.cell, job.seed,
                              reports::config_hash(to_yaml(config))};
    if (store && store->find_finished_run(key)) {
      check.state = JobState::kFinished;
      check.detail = "already finished";
    } else if (!make_data) {
      if (!is_generated(config.dataset.name) &&
          !fs::exists(dataset_path(config.dataset, options.data_dir))) {
        check.state = JobState::kMissingData;
        check.detail = "missing data";
      }
    } else {
      try {
        ensure_dataset(config, options.data_dir, log);
      } catch (const MissingData& e) {
        check.state = JobState::kMissingData;
        check.detail = std::string("missing data: ") + e.what();
      }
    }
    out.push_back(std::move(check));
  }
  return out;
}

}  // namespace dti::experiments
