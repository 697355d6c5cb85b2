#include "experiments/runner.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "base/error.h"
#include "core/checkpoint.h"
#include "core/model.h"
#include "core/runtime.h"
#include "core/trainer.h"
#include "datasets/batch_iterator.h"
#include "datasets/multi_dsprites.h"
#include "datasets/subsets.h"
#include "datasets/tetrominoes.h"
#include "experiments/evaluate.h"
#include "experiments/presets.h"
#include "reports/atomic_file.h"
#include "reports/html_report.h"
#include "reports/paper_tables.h"
#include "reports/store.h"
#include "reports/sweep.h"
#include "reports/table_render.h"

extern char** environ;

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// Images per second of one training step measured with dti_bench-like runs on the 2-core CPU
// this suite is developed on (README "Speed"); used only for --dry-run estimates when the store
// has no finished run of the dataset on the device.
double default_cpu_rate(const std::string& dataset) {
  // BM_TrainStep with every module on, reports/results/bench-cpu-2vcpu.json.
  static const std::map<std::string, double> rates = {
      {"tetrominoes", 184.3}, {"multi_dsprites", 60.0}, {"clevr6", 15.5},
      {"gtsrb8", 400.1},      {"svhn", 301.7},          {"weizmann_horse", 40.5}};
  auto it = rates.find(dataset);
  return it == rates.end() ? 0.0 : it->second;
}

constexpr uint64_t kDataSeed = 0;             // generated datasets do not depend on the run seed
constexpr int64_t kDefaultGenerated = 60000;  // the paper's Tetrominoes / Multi-dSprites size

bool is_generated(const std::string& name) {
  return name == "tetrominoes" || name == "multi_dsprites" || name == "multi_dsprites2";
}

// Generated sets of another size than the paper's get their own file, so a smoke run never
// leaves a 64-image `tetrominoes.h5` where a paper run expects 60,000 images.
std::string dataset_file(const DatasetConfig& dataset) {
  if (is_generated(dataset.name) && dataset.file == dataset.name + ".h5" && dataset.n_images > 0 &&
      dataset.n_images != kDefaultGenerated) {
    return dataset.name + "_n" + std::to_string(dataset.n_images) + ".h5";
  }
  return dataset.file;
}

std::string device_description(const std::string& device) {
  std::ostringstream out;
  out << device;
  if (device == "cpu") out << " (" << at::get_num_threads() << " threads)";
  return out.str();
}

at::Device parse_device(const std::string& name) {
  at::Device device(at::kCPU);
  try {
    device = at::Device(name);
  } catch (const std::exception&) {
    throw Error("--device: unknown device '" + name + "'; valid: cpu, cuda, cuda:<index>");
  }
  DTI_CHECK(
      !device.is_cuda() || at::hasCUDA(), "--device ", name,
      ": this build of LibTorch has no CUDA support or no GPU is visible; use --device cpu or "
      "build against a CUDA LibTorch (README: GPU build)");
  return device;
}

std::string code_version() {
#ifdef DTI_CODE_VERSION
  return DTI_CODE_VERSION;
#else
  return "unknown";
#endif
}

// Training batches from a dataset file, restartable at any (epoch, batch).
class FileBatchSource : public core::BatchSource {
 public:
  FileBatchSource(std::shared_ptr<const datasets::DatasetReader> reader, int64_t batch_size,
                  uint64_t seed, std::vector<int64_t> subset)
      : reader_(std::move(reader)), subset_(std::move(subset)) {
    options_.batch_size = batch_size;
    options_.seed = seed;
    options_.load_masks = false;
    seek(0, 0);
  }
  int64_t batches_per_epoch() const override { return iterator_->batches_per_epoch(); }
  void seek(int64_t epoch, int64_t batch) override {
    iterator_.reset();
    auto options = options_;
    options.start_epoch = epoch;
    options.start_batch = batch;
    iterator_ = std::make_unique<datasets::BatchIterator>(reader_, options, subset_);
  }
  at::Tensor next() override {
    auto batch = iterator_->next();
    DTI_CHECK(batch.has_value(), "training data ended unexpectedly");
    return batch->images;
  }

 private:
  std::shared_ptr<const datasets::DatasetReader> reader_;
  std::vector<int64_t> subset_;
  datasets::BatchIteratorOptions options_;
  std::unique_ptr<datasets::BatchIterator> iterator_;
};

std::string format_metrics(const std::map<std::string, double>& metrics) {
  std::ostringstream out;
  out << std::setprecision(4);
  for (const char* key : {"ari_fg", "ari", "macc", "miou", "accuracy", "nmi", "loss"}) {
    auto it = metrics.find(key);
    if (it != metrics.end()) out << (out.tellp() > 0 ? " " : "") << key << "=" << it->second;
  }
  return out.str();
}

std::string run_dir(const RunnerOptions& options, const std::string& experiment,
                    const std::string& cell, int64_t seed, const std::string& hash) {
  return options.out_dir + "/runs/" + experiment + "/" + cell + "/seed" + std::to_string(seed) +
         "-" + hash.substr(0, 10);
}

}  // namespace

reports::Store open_store(const RunnerOptions& options) {
  const fs::path path(options.store_path());
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  return reports::Store::open(path.string());
}

std::string RunnerOptions::store_path() const {
  return db_path.empty() ? out_dir + "/results.sqlite" : db_path;
}

RunConfig cell_config(const CellDefinition& cell, const RunnerOptions& options, int64_t seed) {
  std::vector<std::string> overrides = cell.overrides;
  overrides.insert(overrides.end(), options.overrides.begin(), options.overrides.end());
  overrides.push_back("training.seed=" + std::to_string(seed));
  return load_config(resolve_config_path(cell.config), options.preset, overrides);
}

std::string ensure_dataset(const RunConfig& config, const std::string& data_dir,
                           std::ostream& log) {
  const auto& dataset = config.dataset;
  const std::string path = data_dir + "/" + dataset_file(dataset);
  if (fs::exists(path)) return path;
  if (!is_generated(dataset.name)) throw MissingData(datasets::make_command(dataset.name, path));
  fs::create_directories(data_dir);
  const int64_t count = dataset.n_images > 0 ? dataset.n_images : kDefaultGenerated;
  log << "data: " << path << " is missing: generating " << count << " " << dataset.name
      << " images (seed " << kDataSeed << ")" << std::endl;
  if (dataset.name == "tetrominoes") {
    datasets::TetrominoesOptions options;
    options.count = count;
    options.seed = kDataSeed;
    datasets::generate_tetrominoes(options, path);
  } else {
    auto options = dataset.name == "multi_dsprites2" ? datasets::MultiDspritesOptions::two_objects()
                                                     : datasets::MultiDspritesOptions{};
    options.count = count;
    options.seed = kDataSeed;
    datasets::generate_multi_dsprites(options, path);
  }
  return path;
}

CellRun run_cell(const ExperimentDefinition& experiment, const CellDefinition& cell, int64_t seed,
                 const RunnerOptions& options, std::ostream& log) {
  CellRun outcome{cell.name, seed, "", ""};
  const std::string tag =
      experiment.store_experiment + "/" + cell.name + " seed " + std::to_string(seed);
  RunConfig config = cell_config(cell, options, seed);
  std::string data_path;
  try {
    data_path = ensure_dataset(config, options.data_dir, log);
  } catch (const MissingData& e) {
    log << tag << ": missing data: " << e.what() << std::endl;
    return {cell.name, seed, "missing data", e.what()};
  }
  const auto device = parse_device(options.device);
  auto store = open_store(options);
  store.ensure_experiment(experiment.store_experiment, experiment.description);
  const std::string config_text = to_yaml(config);
  reports::RunSpec spec{experiment.store_experiment,
                        cell.name,
                        config.dataset.name,
                        cell.variant,
                        seed,
                        config_text,
                        code_version(),
                        TORCH_VERSION,
                        device_description(options.device)};
  auto claim = store.claim_run(spec);
  if (claim.result == reports::ClaimResult::already_finished) {
    log << tag << ": already finished (run " << claim.run.id << "), not trained again" << std::endl;
    return {cell.name, seed, "already finished", format_metrics(store.final_metrics(claim.run.id))};
  }
  if (claim.result == reports::ClaimResult::running_elsewhere) {
    log << tag << ": running in process " << claim.run.pid << " on " << claim.run.host << std::endl;
    return {cell.name, seed, "running elsewhere", "pid " + std::to_string(claim.run.pid)};
  }
  const int64_t run_id = claim.run.id;
  const std::string dir =
      run_dir(options, experiment.store_experiment, cell.name, seed, claim.run.config_hash);
  const std::string checkpoint = dir + "/checkpoint.ckpt";
  try {
    fs::create_directories(dir);
    reports::write_file_atomically(dir + "/config.yml", config_text);
    auto reader = std::make_shared<const datasets::DatasetReader>(data_path, config.dataset.name);
    const auto& info = reader->info();
    DTI_CHECK(
        info.height == config.dataset.image_size[0] && info.width == config.dataset.image_size[1],
        data_path, " holds ", info.height, "x", info.width, " images but the config expects ",
        config.dataset.image_size[0], "x", config.dataset.image_size[1]);
    std::vector<int64_t> subset;
    if (config.dataset.n_images > 0 && config.dataset.n_images < info.size) {
      subset = datasets::first_images(*reader, config.dataset.n_images);
    }
    const int64_t train_images = subset.empty() ? info.size : static_cast<int64_t>(subset.size());

    core::DtiSprites model(config.model, static_cast<uint64_t>(seed));
    model.to(device);
    core::Trainer trainer(model, config.training, static_cast<uint64_t>(seed));
    bool resumed = false;
    if (fs::exists(checkpoint)) {
      trainer.resume(checkpoint);
      resumed = true;
      log << tag << ": resuming from " << checkpoint << " at iteration " << trainer.iteration()
          << std::endl;
    } else {
      // Data-dependent initialisation ('mean' backgrounds, 'sample' sprites): 100 random images.
      std::mt19937_64 rng(static_cast<uint64_t>(seed));
      std::vector<int64_t> pick;
      for (int i = 0; i < std::min<int64_t>(100, train_images); ++i) {
        const int64_t j = std::uniform_int_distribution<int64_t>(0, train_images - 1)(rng);
        pick.push_back(subset.empty() ? j : subset[static_cast<size_t>(j)]);
      }
      model.initialize_from_images(datasets::load_batch(*reader, pick, false).images);
    }
    trainer.set_checkpoint(checkpoint, {{"config", config_text},
                                        {"experiment", experiment.store_experiment},
                                        {"cell", cell.name},
                                        {"seed", std::to_string(seed)}});
    trainer.on_progress([&](const core::TrainProgress& p) {
      if (!options.quiet) {
        log << tag << std::fixed << std::setprecision(0) << ": iteration " << p.iteration << "/"
            << p.total_iterations << " epoch " << p.epoch << "/" << p.n_epochs
            << std::setprecision(6) << " loss " << p.loss << std::setprecision(1) << " "
            << p.images_per_second << " img/s, " << p.seconds_left << " s left, sprite usage";
        for (double u : p.sprite_usage) log << " " << std::setprecision(2) << u;
        log << std::defaultfloat << std::endl;
      }
      store.record_metrics(run_id, {{"train_loss", p.loss, p.iteration},
                                    {"images_per_second", p.images_per_second, p.iteration},
                                    {"lr_networks", p.lr.at(1), p.iteration}});
    });
    trainer.on_reassignment([&](const core::ReassignmentEvent& e) {
      if (options.quiet) return;
      log << tag << ": iteration " << e.iteration << ": reassigned sprites";
      for (int64_t k : e.reassigned) log << " " << k;
      log << " from sprite " << e.source << " (layer " << e.layer << ")" << std::endl;
    });
    if (!resumed)
      log << tag << ": training on " << train_images << " images, "
          << core::runtime_description(options.device) << std::endl;
    FileBatchSource source(reader, config.batch_size, static_cast<uint64_t>(seed), subset);
    const auto trained = trainer.train(source);

    log << tag << ": evaluating" << std::endl;
    const auto evaluation = evaluate(model, *reader, config.dataset, config.batch_size);
    std::vector<reports::MetricPoint> finals;
    for (const auto& [name, value] : evaluation.metrics)
      finals.push_back({name, value, std::nullopt});
    finals.push_back({"train_final_loss", trained.final_loss, std::nullopt});
    finals.push_back({"eval_images", static_cast<double>(evaluation.images), std::nullopt});
    for (size_t k = 0; k < evaluation.sprite_usage.size(); ++k) {
      finals.push_back(
          {"sprite_usage/" + std::to_string(k), evaluation.sprite_usage[k], std::nullopt});
    }
    store.record_metrics(run_id, finals);
    for (const auto& a : write_artifacts(model, *reader, dir + "/images")) {
      store.record_artifact(run_id, a.kind, a.path, a.label);
    }
    store.record_artifact(run_id, "checkpoint", checkpoint, "final", trained.iterations);
    reports::RunOutcome result;
    result.final_loss = evaluation.metrics.at("loss");
    result.iterations = trained.iterations;
    if (trained.images_per_second > 0) result.images_per_second = trained.images_per_second;
    result.peak_memory_bytes = static_cast<int64_t>(trained.peak_rss_mb * 1024 * 1024);
    store.finish_run(run_id, result);
    outcome.status = "finished";
    outcome.detail = format_metrics(evaluation.metrics);
    log << tag << ": finished: " << outcome.detail << std::endl;
  } catch (const std::exception& e) {
    store.fail_run(run_id, e.what());
    outcome.status = "failed";
    outcome.detail = e.what();
    log << tag << ": failed: " << e.what() << std::endl;
  }
  return outcome;
}

namespace {

std::string sweep_parameter(const ExperimentDefinition& experiment) {
  if (experiment.name == "fig8") return "K";
  if (experiment.name == "fig9") return "lambda";
  return "";
}

// Runs one (cell, seed) in a child `runexp run-cell` process whose output goes to `log_path`.
pid_t spawn_cell(const RunnerOptions& options, const ExperimentDefinition& experiment,
                 const CellDefinition& cell, int64_t seed, int threads,
                 const std::string& log_path) {
  const std::string self = options.self_path.empty() ? "/proc/self/exe" : options.self_path;
  std::vector<std::string> args = {self,
                                   "run-cell",
                                   experiment.name,
                                   "--cell",
                                   cell.name,
                                   "--seed",
                                   std::to_string(seed),
                                   "--preset",
                                   options.preset,
                                   "--device",
                                   options.device,
                                   "--data-dir",
                                   options.data_dir,
                                   "--out",
                                   options.out_dir,
                                   "--db",
                                   options.store_path(),
                                   "--threads",
                                   std::to_string(threads)};
  for (const auto& o : options.overrides) args.insert(args.end(), {"--set", o});
  if (options.quiet) args.push_back("--quiet");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  DTI_CHECK(rc == 0, "cannot start a job for ", cell.name, " seed ", seed, ": ", std::strerror(rc));
  return pid;
}

}  // namespace

int run_experiment(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                   const RunnerOptions& options, std::ostream& out, std::ostream& log) {
  struct Job {
    const CellDefinition* cell;
    int64_t seed;
  };
  std::vector<Job> jobs;
  for (const auto& cell : experiment.cells) {
    for (int64_t seed : seeds) jobs.push_back({&cell, seed});
  }
  std::vector<CellRun> results;
  if (options.jobs <= 1) {
    for (const auto& job : jobs)
      results.push_back(run_cell(experiment, *job.cell, job.seed, options, log));
  } else {
    // Generated data is made once up front, so parallel jobs never race to write it.
    for (const auto& cell : experiment.cells) {
      try {
        ensure_dataset(cell_config(cell, options, seeds.empty() ? 0 : seeds.front()),
                       options.data_dir, log);
      } catch (const MissingData&) {
      }
    }
    const int total = options.threads > 0 ? options.threads : at::get_num_threads();
    const int per_job = std::max(1, total / options.jobs);
    const std::string log_dir = options.out_dir + "/logs";
    fs::create_directories(log_dir);
    std::map<pid_t, std::pair<Job, std::string>> running;
    size_t next = 0;
    while (next < jobs.size() || !running.empty()) {
      while (next < jobs.size() && static_cast<int>(running.size()) < options.jobs) {
        const Job& job = jobs[next++];
        std::string name =
            experiment.name + "_" + job.cell->name + "_seed" + std::to_string(job.seed) + ".log";
        std::replace(name.begin(), name.end(), '/', '_');
        const std::string path = log_dir + "/" + name;
        running[spawn_cell(options, experiment, *job.cell, job.seed, per_job, path)] = {job, path};
        log << "job started: " << job.cell->name << " seed " << job.seed << " (log " << path << ")"
            << std::endl;
      }
      int status = 0;
      const pid_t pid = waitpid(-1, &status, 0);
      auto it = running.find(pid);
      if (it == running.end()) continue;
      const Job job = it->second.first;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      const std::string verdict = code == 0 ? "finished" : code == 3 ? "missing data" : "failed";
      results.push_back({job.cell->name, job.seed, verdict,
                         "exit " + std::to_string(code) + ", log " + it->second.second});
      log << "job " << verdict << ": " << job.cell->name << " seed " << job.seed << std::endl;
      running.erase(it);
    }
  }
  int failed = 0;
  out << "\n" << experiment.name << ": " << results.size() << " runs\n";
  for (const auto& r : results) {
    out << "  " << r.cell << " seed " << r.seed << ": " << r.status
        << (r.detail.empty() ? "" : " (" + r.detail + ")") << "\n";
    failed += r.status == "failed";
  }
  render_results(experiment, options, out);
  return failed > 0 ? 1 : 0;
}

void render_results(const ExperimentDefinition& experiment, const RunnerOptions& options,
                    std::ostream& out) {
  auto store = open_store(options);
  store.ensure_experiment(experiment.store_experiment, experiment.description);
  const std::string table_dir = options.out_dir + "/tables";
  reports::ReportOptions report;
  if (experiment.table > 0) {
    reports::TableBuildOptions build;
    for (const auto& cell : experiment.cells) {
      auto config = cell_config(cell, options, 0);
      const std::string path = options.data_dir + "/" + dataset_file(config.dataset);
      if (!fs::exists(path) && !is_generated(config.dataset.name)) {
        build.missing_hints[cell.name] =
            "run `" + datasets::make_command(config.dataset.name, path) + "`";
      }
    }
    const auto table =
        reports::build_paper_table(reports::paper_table_spec(experiment.table), store, build);
    const std::string stem = table_dir + "/" + experiment.name;
    reports::write_file_atomically(stem + ".md", reports::render_markdown(table));
    reports::write_file_atomically(stem + ".tex", reports::render_latex(table));
    reports::write_file_atomically(stem + ".csv", reports::render_csv(table));
    out << "\n" << reports::render_markdown(table) << "\n";
    report.tables.push_back(table);
  } else {
    const std::string parameter = sweep_parameter(experiment);
    report.sweep_parameter = parameter;
    report.sweep_categorical = parameter == "lambda";
    const auto points =
        reports::collect_sweep(store, experiment.store_experiment, parameter, "final_loss");
    std::ostringstream text;
    text << experiment.description << "\n\n| " << parameter
         << " | final loss (mean ± std) | runs |\n|---|---|---|\n";
    for (const auto& p : points) {
      text << "| " << p.label << " | " << std::scientific << std::setprecision(3) << p.mean << " ± "
           << p.std_dev << std::defaultfloat << " | " << p.n << " |\n";
    }
    if (points.empty()) text << "| (no finished run) | | |\n";
    reports::write_file_atomically(table_dir + "/" + experiment.name + ".md", text.str());
    out << "\n" << text.str() << "\n";
  }
  const auto summary = reports::render_experiment_report(
      store, experiment.store_experiment, options.out_dir + "/reports/" + experiment.name, report);
  out << "report: " << summary.index_path << " (" << summary.runs << " runs, " << summary.images
      << " images)\n";
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
    auto config = cell_config(cell, options, seeds.empty() ? 0 : seeds.front());
    const std::string path = options.data_dir + "/" + dataset_file(config.dataset);
    std::string data = fs::exists(path)                    ? "present"
                       : is_generated(config.dataset.name) ? "will be generated"
                                                           : "MISSING";
    int64_t images = config.dataset.n_images;
    if (fs::exists(path)) {
      datasets::DatasetReader reader(path);
      images = images > 0 ? std::min(images, reader.size()) : reader.size();
    }
    const int64_t per_epoch = images > 0 ? (images + config.batch_size - 1) / config.batch_size : 0;
    int64_t iterations = per_epoch * config.training.n_epochs;
    if (config.training.max_iterations > 0)
      iterations = std::min(iterations, config.training.max_iterations);
    int done = 0;
    double rate = 0;
    int rated = 0;
    if (store) {
      for (int64_t s : seeds) {
        auto c = cell_config(cell, options, s);
        if (store->find_finished_run({experiment.store_experiment, cell.name, s, config_hash(c)}))
          ++done;
      }
      for (const auto& run : store->list_runs(reports::RunFilter(experiment.store_experiment))) {
        if (run.spec.dataset == config.dataset.name && run.outcome.images_per_second &&
            run.spec.device.rfind(options.device, 0) == 0) {
          rate += *run.outcome.images_per_second;
          ++rated;
        }
      }
    }
    rate = rated > 0                 ? rate / rated
           : options.device == "cpu" ? default_cpu_rate(config.dataset.name)
                                     : 0;
    out << "  " << cell.name << " (" << config.dataset.name << ", " << path << ": " << data << ")\n"
        << "    " << seeds.size() << " seeds, " << done << " already finished; " << iterations
        << " iterations of " << config.batch_size << " images each";
    if (data == "MISSING") {
      out << "\n    make it with: " << datasets::make_command(config.dataset.name, path) << "\n";
      continue;
    }
    if (rate > 0 && images > 0) {
      const double seconds =
          static_cast<double>(seeds.size() - done) * iterations * config.batch_size / rate;
      total_seconds += seconds;
      out << ", ~" << std::fixed << std::setprecision(1) << seconds / 3600.0 << " h at "
          << std::setprecision(0) << rate << " img/s" << std::defaultfloat << "\n";
    } else {
      unknown = true;
      out << ", time unknown (no measured speed for this dataset on " << options.device << ")\n";
    }
  }
  out << "\nestimated training time: " << std::fixed << std::setprecision(1)
      << total_seconds / 3600.0 << " h" << (unknown ? " plus the cells of unknown speed" : "")
      << " (evaluation not included)\n"
      << std::defaultfloat;
}

void evaluate_checkpoint(const std::string& checkpoint, const RunnerOptions& options,
                         std::ostream& out) {
  auto ck = core::load_checkpoint(checkpoint);
  DTI_CHECK(ck.metadata.count("config"), checkpoint,
            " has no configuration inside; was it written by runexp?");
  auto config = parse_config(ck.meta("config"), checkpoint + " (stored configuration)");
  const std::string data_path = ensure_dataset(config, options.data_dir, std::cerr);
  datasets::DatasetReader reader(data_path, config.dataset.name);
  core::DtiSprites model(config.model, config.seed);
  model.to(parse_device(options.device));
  core::copy_named(ck, core::model_tensors(model));
  model.set_epoch(std::stoll(ck.meta("epoch")));
  const auto result = evaluate(model, reader, config.dataset, config.batch_size);
  out << "checkpoint " << checkpoint << " (iteration " << ck.meta("iteration") << "), "
      << config.dataset.name << ", " << result.images << " images, protocol "
      << eval_protocol_name(config.dataset.eval) << "\n";
  for (const auto& [name, value] : result.metrics) out << "  " << name << " = " << value << "\n";
}

}  // namespace dti::experiments
