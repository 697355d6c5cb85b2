#include "experiments/launch/plan.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>

#include "base/error.h"
#include "datasets/catalogue.h"
#include "datasets/dataset_file.h"
#include "experiments/config/install_paths.h"
#include "experiments/launch/gpu_placement.h"
#include "experiments/launch/pending.h"
#include "experiments/run/cell_run.h"
#include "reports/benchmark_import.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// Training images per second with every module on, per dataset, from the CPU benchmark shipped
// beside the configs (install_paths.h: dti_bench's BM_TrainStep entries labelled
// "<dataset>/active"); used only when the store holds no finished run of the dataset on the
// device. Empty when the file is missing or unreadable: the plan then says "time unknown".
const std::map<std::string, double>& benchmark_cpu_rates() {
  static const std::map<std::string, double> rates = [] {
    std::map<std::string, double> out;
    const std::string file = shipped_cpu_benchmark();
    if (file.empty()) return out;
    try {
      std::ifstream in(file);
      std::ostringstream text;
      text << in.rdbuf();
      for (const auto& run : reports::parse_benchmark_json(text.str(), {}, file)) {
        const std::string key = "\"label\":\"";
        const auto at = run.spec.config_text.find(key);
        if (run.spec.cell.rfind("BM_TrainStep/", 0) != 0 || at == std::string::npos ||
            !run.outcome.images_per_second) {
          continue;
        }
        const auto label = run.spec.config_text.substr(at + key.size());
        const auto slash = label.find('/');
        if (slash != std::string::npos && label.compare(slash, 8, "/active\"") == 0) {
          out[label.substr(0, slash)] = *run.outcome.images_per_second;
        }
      }
    } catch (const Error&) {
      out.clear();  // a damaged file gives no estimate rather than a wrong one
    }
    return out;
  }();
  return rates;
}

double default_cpu_rate(const std::string& dataset) {
  const auto& rates = benchmark_cpu_rates();
  auto it = rates.find(dataset);
  return it == rates.end() ? 0.0 : it->second;
}

// What the plan says of one cell.
struct CellPlan {
  std::string path;
  std::string data;  // present, will be generated, MISSING
  int64_t iterations = 0;
  int64_t images = 0;
  int done = 0;     // seeds already finished
  double rate = 0;  // images/s (0 = unknown)
};

// Mean measured speed of finished runs of `dataset` on `device` in the store; 0 when none.
double stored_rate(const reports::Store& store, const std::string& experiment,
                   const std::string& dataset, const std::string& device) {
  double rate = 0;
  int rated = 0;
  for (const auto& run : store.list_runs(reports::RunFilter(experiment))) {
    if (run.spec.dataset == dataset && run.outcome.images_per_second &&
        run.spec.device.rfind(device, 0) == 0) {
      rate += *run.outcome.images_per_second;
      ++rated;
    }
  }
  return rated > 0 ? rate / rated : 0.0;
}

CellPlan plan_cell(const ExperimentDefinition& experiment, const CellDefinition& cell,
                   const std::vector<int64_t>& seeds, const RunnerOptions& options,
                   const reports::Store* store) {
  CellPlan p;
  const auto config = cell_config(cell, options, seeds.empty() ? 0 : seeds.front());
  p.path = dataset_path(config.dataset, options.data_dir);
  const bool present = fs::exists(p.path);
  p.data = present                             ? "present"
           : is_generated(config.dataset.name) ? "will be generated"
                                               : "MISSING";
  p.images = config.dataset.n_images;
  if (present) {
    datasets::DatasetReader reader(p.path);
    p.images = p.images > 0 ? std::min(p.images, reader.size()) : reader.size();
  }
  const int64_t per_epoch =
      p.images > 0 ? (p.images + config.batch_size - 1) / config.batch_size : 0;
  p.iterations = per_epoch * config.training.n_epochs;
  if (config.training.max_iterations > 0) {
    p.iterations = std::min(p.iterations, config.training.max_iterations);
  }
  std::vector<CellJob> jobs;
  for (int64_t s : seeds) jobs.push_back({experiment.name, cell.name, s, options});
  std::ostringstream unused;  // nothing is generated here, so nothing is said
  for (const auto& check : check_jobs(experiment, jobs, options, /*make_data=*/false, unused)) {
    p.done += check.state == JobState::kFinished;
  }
  p.rate = expected_rate(store, experiment.store_experiment, config.dataset.name, options.device);
  return p;
}

}  // namespace

double expected_rate(const reports::Store* store, const std::string& experiment,
                     const std::string& dataset, const std::string& device) {
  const double rate = store ? stored_rate(*store, experiment, dataset, device) : 0.0;
  if (rate == 0 && device == "cpu") return default_cpu_rate(dataset);
  return rate;
}

void print_plan(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                const RunnerOptions& options, std::ostream& out) {
  out << experiment.name << ": " << experiment.description << "\n"
      << "preset " << options.preset << ", device " << options.device << ", seeds";
  for (int64_t s : seeds) out << " " << s;
  out << ", store " << options.store_path() << "\n\n";
  std::unique_ptr<reports::Store> store;
  if (fs::exists(options.store_path())) {
    store = std::make_unique<reports::Store>(reports::Store::open(options.store_path()));
  }
  double total_seconds = 0;
  bool unknown = false;
  for (const auto& cell : experiment.cells) {
    const auto config = cell_config(cell, options, seeds.empty() ? 0 : seeds.front());
    const CellPlan p = plan_cell(experiment, cell, seeds, options, store.get());
    out << "  " << cell.name << " (" << config.dataset.name << ", " << p.path << ": " << p.data
        << ")\n"
        << "    " << seeds.size() << " seeds, " << p.done << " already finished; " << p.iterations
        << " iterations of " << config.batch_size << " images each";
    if (p.data == "MISSING") {
      out << "\n    make it with: " << datasets::make_command(config.dataset.name, p.path) << "\n";
      continue;
    }
    if (p.rate > 0 && p.images > 0) {
      const double seconds =
          static_cast<double>(seeds.size() - p.done) * p.iterations * config.batch_size / p.rate;
      total_seconds += seconds;
      out << ", ~" << std::fixed << std::setprecision(1) << seconds / 3600.0 << " h at "
          << std::setprecision(0) << p.rate << " img/s" << std::defaultfloat << "\n";
    } else {
      unknown = true;
      out << ", time unknown (no measured speed for this dataset on " << options.device << ")\n";
    }
  }
  out << "\nestimated training time: " << std::fixed << std::setprecision(1)
      << total_seconds / 3600.0 << " h" << (unknown ? " plus the cells of unknown speed" : "")
      << " (evaluation not included)\n"
      << std::defaultfloat;
  if (options.jobs > 1 && options.launcher == "local") {
    std::vector<std::string> runs;  // in the order run_experiment() starts them
    for (const auto& cell : experiment.cells) {
      for (int64_t s : seeds) runs.push_back(cell.name + " seed " + std::to_string(s));
    }
    print_placement(gpu_placement(options), options.jobs, static_cast<int>(runs.size()), runs, out);
  }
}

}  // namespace dti::experiments
