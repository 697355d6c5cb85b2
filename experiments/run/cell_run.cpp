#include "experiments/run/cell_run.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "base/error.h"
#include "code_version.h"  // generated at build time
#include "core/checkpoint.h"
#include "core/init.h"
#include "core/model.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "core/trainer.h"
#include "datasets/batch_iterator.h"
#include "datasets/data_origin.h"
#include "datasets/subsets.h"
#include "experiments/config/presets.h"
#include "experiments/run/device_batch_source.h"
#include "experiments/run/device_choice.h"
#include "experiments/run/evaluate.h"
#include "experiments/run/metric_table.h"
#include "experiments/run/run_preflight.h"
#include "experiments/run/run_record.h"
#include "experiments/run/tensorboard_run.h"
#include "reports/atomic_file.h"
#include "reports/liveness.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// Thrown when training stopped at a signal (core::request_stop) with its checkpoint written.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Well under StoreOptions::stale_after_seconds (1800 s), which other hosts apply.
constexpr double kHeartbeatSeconds = 60.0;

std::string code_version() { return DTI_CODE_VERSION; }

std::string device_description(const std::string& device) {
  std::ostringstream out;
  out << device;
  if (device == "cpu") out << " (" << at::get_num_threads() << " threads)";
  return out.str();
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

// Everything one run carries from step to step.
struct RunContext {
  RunContext(const ExperimentDefinition& e, const CellDefinition& c, int64_t s,
             const RunnerOptions& o, std::ostream& l)
      : experiment(e), cell(c), seed(s), options(o), log(l) {}
  const ExperimentDefinition& experiment;
  const CellDefinition& cell;
  int64_t seed;
  const RunnerOptions& options;
  std::ostream& log;
  std::string tag;  // "<experiment>/<cell> seed <s>" at the start of every log line
  RunConfig config;
  std::string config_text;  // canonical YAML, stored with the run and in its checkpoint
  std::string data_path;
  int64_t run_id = 0;
  std::string dir;  // the run's folder: config, checkpoint, images
  std::string checkpoint;
  at::Device device{at::kCPU};  // --device resolved once (auto included), before the claim
  std::shared_ptr<const datasets::DatasetReader> reader;
  std::vector<int64_t> subset;  // training images when not the whole file
  int64_t train_images = 0;
  std::unique_ptr<RunTensorboard> tensorboard;  // events in the run folder; null: --no-tensorboard
};

// The same training (configuration and seed) already finished under another experiment or cell,
// e.g. a sweep's baseline that is a paper table's cell: its record is stored under this key too
// (same metrics, curves and files) instead of training it again. Returns the outcome, if so.
std::optional<CellRun> adopt_twin(RunContext& c, reports::Store& store,
                                  const reports::RunSpec& spec) {
  const reports::RunKey key{spec.experiment, spec.cell, spec.seed,
                            reports::config_hash(spec.config_text)};
  if (store.find_finished_run(key)) return std::nullopt;  // claim_run() says so itself
  const auto twin = store.find_finished_twin(key.config_hash, spec.seed);
  if (!twin) return std::nullopt;
  reports::ImportedRun copy;
  copy.spec = twin->spec;
  copy.spec.experiment = spec.experiment;
  copy.spec.cell = spec.cell;
  copy.spec.variant = spec.variant;
  copy.host = twin->host;
  copy.started_at = twin->started_at;
  copy.ended_at = twin->ended_at;
  copy.status = reports::RunStatus::finished;
  copy.outcome = twin->outcome;
  copy.metrics = store.metrics(twin->id);
  copy.artifacts = store.artifacts(twin->id);
  copy.data = twin->data;
  store.import_runs({copy});
  c.log << c.tag << ": the same configuration and seed finished as " << twin->spec.experiment << "/"
        << twin->spec.cell << " (run " << twin->id << "); stored here too, not trained again"
        << std::endl;
  return CellRun{c.cell.name, c.seed, RunStatus::kAlreadyFinished,
                 headline_metrics(store.final_metrics(twin->id))};
}

// Step: the store's claim. Returns the outcome when the run must not be trained here.
std::optional<CellRun> claim(RunContext& c, reports::Store& store) {
  store.ensure_experiment(c.experiment.store_experiment, c.experiment.description);
  reports::RunSpec spec{c.experiment.store_experiment,
                        c.cell.name,
                        c.config.dataset.name,
                        c.cell.variant,
                        c.seed,
                        c.config_text,
                        code_version(),
                        TORCH_VERSION,
                        device_description(c.options.device)};
  if (auto adopted = adopt_twin(c, store, spec)) return adopted;
  auto claimed = store.claim_run(spec);
  if (claimed.result == reports::ClaimResult::already_finished) {
    c.log << c.tag << ": already finished (run " << claimed.run.id << "), not trained again"
          << std::endl;
    return CellRun{c.cell.name, c.seed, RunStatus::kAlreadyFinished,
                   headline_metrics(store.final_metrics(claimed.run.id))};
  }
  if (claimed.result == reports::ClaimResult::running_elsewhere) {
    c.log << c.tag << ": running in process " << claimed.run.pid << " on " << claimed.run.host
          << std::endl;
    return CellRun{c.cell.name, c.seed, RunStatus::kRunningElsewhere,
                   "pid " + std::to_string(claimed.run.pid)};
  }
  c.run_id = claimed.run.id;
  c.dir = run_folder(c.options.out_dir, c.experiment.store_experiment, c.cell.name, c.seed,
                     claimed.run.config_hash);
  c.checkpoint = c.dir + "/checkpoint.ckpt";
  return std::nullopt;
}

// Step: the training data, checked against the configuration.
void open_data(RunContext& c) {
  fs::create_directories(c.dir);
  reports::write_file_atomically(c.dir + "/config.yml", c.config_text);
  c.reader = open_dataset(c.data_path, c.config);
  const auto& info = c.reader->info();
  const auto& size = c.config.dataset.image_size;
  DTI_CHECK(info.height == size[0] && info.width == size[1], c.data_path, " holds ", info.height,
            "x", info.width, " images but the config expects ", size[0], "x", size[1]);
  if (c.config.dataset.n_images > 0 && c.config.dataset.n_images < info.size) {
    // A seeded random subset, the same for every run seed (docs/deviations.md: training subsets).
    c.subset = datasets::random_images(*c.reader, c.config.dataset.n_images, kDataSeed);
  }
  c.train_images = c.subset.empty() ? info.size : static_cast<int64_t>(c.subset.size());
  check_data_before_training(*c.reader, c.config.dataset);  // not after hours of training
}

// Step: a fresh model initialised from the data (docs/model.md#sprites-and-backgrounds), or the
// state of the run's checkpoint. Returns whether it resumed.
bool build_or_resume(RunContext& c, core::DtiSprites& model, core::Trainer& trainer) {
  const std::string previous = core::previous_checkpoint_path(c.checkpoint);
  if (fs::exists(c.checkpoint) || fs::exists(previous)) {
    std::string from, problem;
    core::load_checkpoint_or_previous(c.checkpoint, &from, &problem);  // throws what to delete
    if (!problem.empty()) {
      // Kept aside (not deleted) for inspection, and so the next save cannot shift it into
      // the place of the good previous checkpoint.
      std::error_code ignored;
      if (fs::exists(c.checkpoint)) fs::rename(c.checkpoint, c.checkpoint + ".damaged", ignored);
      c.log << c.tag << ": " << problem << "; falling back to the previous checkpoint" << std::endl;
    }
    trainer.resume(from);
    c.log << c.tag << ": resuming from " << from << " at iteration " << trainer.iteration()
          << std::endl;
    return true;
  }
  // Data-dependent initialisation ('mean' backgrounds, 'sample' sprites): 100 distinct random
  // images, as the authors' shuffled first batch (core::initialization_indices).
  std::vector<int64_t> pick;
  for (const int64_t j : core::initialization_indices(c.train_images, core::kInitImages,
                                                      static_cast<uint64_t>(c.seed))) {
    pick.push_back(c.subset.empty() ? j : c.subset[static_cast<size_t>(j)]);
  }
  model.initialize_from_images(datasets::load_batch(*c.reader, pick, false).images);
  return false;
}

// Step: progress lines, curves in the store and TensorBoard, reassignment events while training.
void attach_observers(RunContext& c, core::Trainer& trainer, const core::DtiSprites& model,
                      reports::Store& store) {
  if (c.options.tensorboard) {
    c.tensorboard =
        std::make_unique<RunTensorboard>(c.dir, trainer.iteration(), model, c.log, c.tag);
  }
  trainer.set_checkpoint(c.checkpoint, {{"config", c.config_text},
                                        {"experiment", c.experiment.store_experiment},
                                        {"cell", c.cell.name},
                                        {"seed", std::to_string(c.seed)}});
  trainer.on_progress([&c, &store](const core::TrainProgress& p) {
    if (!c.options.quiet) {
      c.log << c.tag << std::fixed << std::setprecision(0) << ": iteration " << p.iteration << "/"
            << p.total_iterations << " epoch " << p.epoch << "/" << p.n_epochs
            << std::setprecision(6) << " loss " << p.loss << std::setprecision(1) << " "
            << p.images_per_second << " img/s, " << p.seconds_left << " s left, sprite usage";
      for (double u : p.sprite_usage) c.log << " " << std::setprecision(2) << u;
      c.log << std::defaultfloat << std::endl;
    }
    write_progress(c.dir, {p.iteration, p.total_iterations, p.loss, p.seconds_left});
    store.record_metrics(c.run_id, {{"train_loss", p.loss, p.iteration},
                                    {"images_per_second", p.images_per_second, p.iteration},
                                    {"lr_networks", p.lr.at(1), p.iteration}});
    if (c.tensorboard) c.tensorboard->progress(p);
  });
  trainer.on_reassignment([&c](const core::ReassignmentEvent& e) {
    if (c.options.quiet) return;
    c.log << c.tag << ": iteration " << e.iteration << ": reassigned sprites";
    for (int64_t k : e.reassigned) c.log << " " << k;
    c.log << " from sprite " << e.source << " (layer " << e.layer << ")" << std::endl;
  });
}

// Step: evaluation, final metrics, images and the finished mark, in the store.
std::string record(RunContext& c, core::DtiSprites& model, const core::TrainResult& trained,
                   reports::Store& store) {
  c.log << c.tag << ": evaluating" << std::endl;
  const auto evaluation = evaluate(model, *c.reader, c.config.dataset, c.config.batch_size);
  std::vector<reports::MetricPoint> finals;
  for (const auto& [name, value] : evaluation.metrics)
    finals.push_back({name, value, std::nullopt});
  finals.push_back({"train_final_loss", trained.final_loss, std::nullopt});
  finals.push_back({"eval_images", static_cast<double>(evaluation.images), std::nullopt});
  for (size_t k = 0; k < evaluation.sprite_usage.size(); ++k) {
    finals.push_back(
        {"sprite_usage/" + std::to_string(k), evaluation.sprite_usage[k], std::nullopt});
  }
  store.record_metrics(c.run_id, finals);
  if (c.tensorboard) {
    c.tensorboard->finish(model, *c.reader, trained.iterations, evaluation.metrics,
                          evaluation.sprite_usage, trained.final_loss);
  }
  for (const auto& a : write_artifacts(model, *c.reader, c.dir + "/images")) {
    store.record_artifact(c.run_id, a.kind, a.path, a.label);
  }
  store.record_artifact(c.run_id, "checkpoint", c.checkpoint, "final", trained.iterations);
  reports::RunOutcome result;
  result.final_loss = evaluation.metrics.at("loss");
  result.iterations = trained.iterations;
  if (trained.images_per_second > 0) result.images_per_second = trained.images_per_second;
  result.peak_memory_bytes = static_cast<int64_t>(trained.peak_rss_mb * 1024 * 1024);
  store.finish_run(c.run_id, result);
  return headline_metrics(evaluation.metrics);
}

// On a GPU the training images live on the device (converted once; no per-step copy) when they
// take at most kDeviceDataBytes; otherwise, and on the CPU, the prefetching file iterator. Both
// give the same batches (tests/experiments/device_batch_source_test.cpp).
constexpr int64_t kDeviceDataBytes = int64_t{8} << 30;

std::unique_ptr<core::BatchSource> training_batches(const RunContext& c) {
  const auto seed = static_cast<uint64_t>(c.seed);
  if (c.device.is_cuda() && device_dataset_bytes(*c.reader, c.train_images) <= kDeviceDataBytes) {
    return std::make_unique<DeviceBatchSource>(*c.reader, c.subset, c.config.batch_size, seed,
                                               c.device);
  }
  return std::make_unique<FileBatchSource>(c.reader, c.config.batch_size, seed, c.subset);
}

// Steps after the claim: data, model, training, record. Throws on failure.
std::string train_and_record(RunContext& c, reports::Store& store) {
  check_memory_before_training(c.config, c.options.device);  // before allocating anything
  open_data(c);
  // Stored with the run, so that a table cell on generated stand-in data says so.
  const auto origin = datasets::data_origin(c.reader->info(), c.data_path);
  store.set_data_source(c.run_id, {origin.kind, origin.note});
  core::DtiSprites model(c.config.model, static_cast<uint64_t>(c.seed));
  model.to(c.device);
  core::Trainer trainer(model, c.config.training, static_cast<uint64_t>(c.seed));
  const bool resumed = build_or_resume(c, model, trainer);
  attach_observers(c, trainer, model, store);
  if (!resumed) {
    c.log << c.tag << ": training on " << c.train_images << " images, "
          << core::runtime_description(c.options.device) << std::endl;
  }
  const auto warning = core::precision_warning(c.config.training.precision, c.device);
  if (!warning.empty()) c.log << c.tag << ": " << warning << std::endl;
  const auto source = training_batches(c);
  check_space_for_checkpoint(c.checkpoint, estimate_checkpoint_bytes(model));
  // Heartbeats on a timer, whatever the pace of training (reports/liveness.h).
  reports::HeartbeatTimer heartbeat(store.path(), {}, c.run_id, kHeartbeatSeconds);
  const auto trained = trainer.train(*source);
  if (trained.stopped) {
    throw Interrupted("stopped by a signal at iteration " + std::to_string(trained.iterations) +
                      "; checkpoint " + c.checkpoint + " written");
  }
  return record(c, model, trained, store);
}

}  // namespace

CellRun run_cell(const ExperimentDefinition& experiment, const CellDefinition& cell, int64_t seed,
                 const RunnerOptions& options, std::ostream& log) {
  RunContext c(experiment, cell, seed, options, log);
  c.tag = experiment.store_experiment + "/" + cell.name + " seed " + std::to_string(seed);
  // What killed processes left (temporary checkpoints, images, datasets, reports); files of
  // live processes are kept.
  for (const auto& left : reports::remove_dead_temporaries(options.data_dir, false))
    log << "removed " << left << " (left by a process that no longer runs)" << std::endl;
  for (const auto& left : reports::remove_dead_temporaries(options.out_dir, true))
    log << "removed " << left << " (left by a process that no longer runs)" << std::endl;
  c.config = cell_config(cell, options, seed);
  try {
    c.data_path = ensure_dataset(c.config, options.data_dir, log);
  } catch (const MissingData& e) {
    log << c.tag << ": missing data: " << e.what() << std::endl;
    return {cell.name, seed, RunStatus::kMissingData, e.what()};
  }
  c.device = parse_device(options.device);  // a wrong device fails before the run is claimed
  auto store = open_store(options);
  c.config_text = to_yaml(c.config);
  if (auto outcome = claim(c, store)) return *outcome;
  try {
    const std::string metrics = train_and_record(c, store);
    log << c.tag << ": finished: " << metrics << std::endl;
    return {cell.name, seed, RunStatus::kFinished, metrics};
  } catch (const Interrupted& e) {
    // Not failed: the run stays `running` in the store, and its next attempt resumes it.
    log << c.tag << ": interrupted: " << e.what() << std::endl;
    return {cell.name, seed, RunStatus::kInterrupted, e.what()};
  } catch (const std::exception& e) {
    store.fail_run(c.run_id, e.what());
    log << c.tag << ": failed: " << e.what() << std::endl;
    return {cell.name, seed, RunStatus::kFailed, e.what()};
  }
}

}  // namespace dti::experiments
