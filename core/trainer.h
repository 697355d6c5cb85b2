#pragma once
// Training protocol (docs/training.md): Adam with two parameter groups, the per-group multi-step
// schedule by epoch, curriculum and sprite freezing through the model's epoch, noise injection,
// empty-sprite reassignment with Adam moments copied, progress reports, atomic checkpoints and
// exact resumption on the CPU.

#include <ATen/ATen.h>

#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/adam.h"
#include "core/checkpoint.h"
#include "core/model.h"
#include "core/precision.h"

namespace dti::core {

/// How the shared encoder is updated (docs/training.md#encoder-multiplicity).
enum class EncoderUpdate {
  kReference,     ///< Adam applied once per transformation network holding it (the authors' code).
  kDeduplicated,  ///< Adam applied once per step.
};

/// Parses "reference" / "deduplicated"; other names raise dti::Error listing both.
EncoderUpdate parse_encoder_update(const std::string& name);

/// What a reassigned sprite's predictors get of their source's Adam moments
/// (docs/training.md#reassignment).
enum class ReassignMoments {
  kAlias,  ///< The very same moment tensors, updated by both from then on (the authors' code).
  kCopy,   ///< A copy taken once (deviation `training.reassign_moments: copy`).
};

/// Parses "alias" / "copy"; other names raise dti::Error listing both.
ReassignMoments parse_reassign_moments(const std::string& name);

/// Training settings; names mirror the authors' `training:` section.
struct TrainerOptions {
  /// Learning rate of both groups (optimizer.lr).
  double lr = 1e-4;
  /// Weight decay of the sprite group (optimizer.cluster.weight_decay).
  double sprite_weight_decay = 0.0;
  /// Weight decay of the network group (optimizer.transformer.weight_decay).
  double network_weight_decay = 1e-6;
  /// Epochs after which the learning rates are multiplied by gamma (scheduler.milestones).
  std::vector<int64_t> milestones;
  /// Factor per group {sprites, networks} (scheduler.gamma; one value applies to both).
  std::vector<double> gamma{0.1, 0.1};
  /// Number of epochs (n_epoches).
  int64_t n_epochs = 1;
  /// Stop after this many iterations in total (0 = n_epochs full epochs).
  int64_t max_iterations = 0;
  /// Empty-sprite reassignment every N iterations (check_cluster_interval).
  int64_t check_cluster_interval = 50;
  /// Progress report every N iterations (train_stat_interval).
  int64_t log_interval = 100;
  /// Checkpoint every N iterations (and at the end); 0 = only at the end.
  int64_t checkpoint_interval = 1000;
  /// Encoder update rule.
  EncoderUpdate encoder_update = EncoderUpdate::kReference;
  /// Adam moments of reassigned sprites' predictors (training.reassign_moments).
  ReassignMoments reassign_moments = ReassignMoments::kAlias;
  /// Arithmetic of the training step (training.precision; fp32 is the paper's).
  Precision precision = Precision::kFp32;
  /// Throws dti::Error naming the field and the valid range.
  void validate() const;
};

/// Where training images come from: batch b of epoch e must not depend on what came before, so
/// that a resumed run sees the same batches.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  /// Batches in one epoch.
  virtual int64_t batches_per_epoch() const = 0;
  /// Restarts the stream at batch `batch` of epoch `epoch` (0-based).
  virtual void seek(int64_t epoch, int64_t batch) = 0;
  /// The next batch of images [B,C,H,W] in [0,1] (any device; moved to the model's).
  virtual at::Tensor next() = 0;
};

/// A progress report (every log_interval iterations and at the end).
struct TrainProgress {
  int64_t iteration = 0;         ///< Iterations done.
  int64_t total_iterations = 0;  ///< Iterations of the whole run.
  int64_t epoch = 0;             ///< Current epoch (0-based).
  int64_t n_epochs = 0;          ///< Epochs of the run.
  double loss = 0;               ///< Mean loss since the last report.
  double images_per_second = 0;  ///< Throughput since the last report.
  double seconds_left = 0;       ///< Estimate for the rest of the run.
  std::vector<double> lr;        ///< Learning rate per group.
  std::vector<double>
      sprite_usage;  ///< Share of selections per sprite (all layers) since the last report.
};

/// A reassignment that took place.
struct ReassignmentEvent {
  int64_t iteration = 0;            ///< When.
  int64_t layer = 0;                ///< Layer whose proportions were used.
  int64_t source = -1;              ///< Most used sprite.
  std::vector<int64_t> reassigned;  ///< Restarted sprites.
};

/// Summary of a finished training.
struct TrainResult {
  int64_t iterations = 0;        ///< Iterations done in total (resumed ones included).
  double final_loss = 0;         ///< Mean training loss over the last epoch's iterations.
  double images_per_second = 0;  ///< Throughput of this process's iterations.
  double seconds = 0;            ///< Wall time of this process's iterations.
  double peak_rss_mb = 0;        ///< Peak resident memory of the process.
  bool stopped = false;          ///< Stopped early by request_stop() (checkpoint written).
};

/// Trains a model; never owns it.
class Trainer {
 public:
  /// Builds the optimiser over model.parameters() (call model.to(device) first).
  Trainer(DtiSprites& model, TrainerOptions options, uint64_t seed);

  /// Called every log_interval iterations and at the end.
  void on_progress(std::function<void(const TrainProgress&)> callback) {
    progress_cb_ = std::move(callback);
  }
  /// Called after each reassignment.
  void on_reassignment(std::function<void(const ReassignmentEvent&)> callback) {
    reassign_cb_ = std::move(callback);
  }
  /// Called right after every optimiser step with the batch's loss (scalar tensor, on the
  /// model's device) and selection [L,B]: the parity replay's view of each step
  /// (experiments/parity/TRAJECTORY.md).
  void on_step(std::function<void(const at::Tensor& loss, const at::Tensor& selection)> callback) {
    step_cb_ = std::move(callback);
  }
  /// Replaces the draw of the layer whose proportions a reassignment check uses (default: the
  /// trainer's seeded generator), so that a replay can feed the authors' recorded draws.
  void set_layer_draw(std::function<int64_t(int64_t num_layers)> draw) {
    layer_draw_ = std::move(draw);
  }
  /// Writes checkpoints to `path` (every checkpoint_interval iterations and at the end);
  /// `metadata` is stored with them (configuration, versions).
  void set_checkpoint(const std::string& path, std::map<std::string, std::string> metadata = {});

  /// Restores model, optimiser, schedule, counters and random states from a checkpoint.
  void resume(const std::string& path);
  /// Trains until n_epochs (or max_iterations) is reached, from where it stands.
  TrainResult train(BatchSource& source);

  /// Iterations done so far.
  int64_t iteration() const { return iteration_; }
  /// The optimiser.
  Adam& optimizer() { return *adam_; }
  /// Learning rate of group g during epoch `completed_epochs` (closed form of the schedule).
  double scheduled_lr(size_t group, int64_t completed_epochs) const;
  /// Writes a checkpoint now (after reading the losses still pending on the device).
  void save(const std::string& path);

 private:
  void step_once(const at::Tensor& images);
  void flush_losses();
  void check_clusters();
  void report(int64_t total_iterations, double elapsed_since_report);

  DtiSprites& model_;
  TrainerOptions options_;
  std::unique_ptr<Adam> adam_;
  std::vector<Parameter> parameters_;
  std::mt19937_64 rng_;
  std::function<void(const TrainProgress&)> progress_cb_;
  std::function<void(const ReassignmentEvent&)> reassign_cb_;
  std::function<void(const at::Tensor&, const at::Tensor&)> step_cb_;
  std::function<int64_t(int64_t)> layer_draw_;
  std::string checkpoint_path_;
  std::map<std::string, std::string> checkpoint_metadata_;

  // Position: the next batch to run is (epoch_, batch_); iteration_ counts the ones done.
  int64_t epoch_ = 0, batch_ = 0, iteration_ = 0, last_checkpoint_iteration_ = -1;
  at::Tensor usage_sum_;  // [L,K] sum of per-iteration selection shares since the last check
  int64_t usage_count_ = 0;
  at::Tensor report_usage_;  // [K] since the last report
  // Each step's loss, still on the model's device: reading a CUDA scalar synchronises host and
  // device, so the values are read together at reports, epoch ends and checkpoints (and checked
  // for NaN there, before any checkpoint is written).
  std::vector<at::Tensor> pending_losses_;
  double report_loss_ = 0;
  int64_t report_count_ = 0, report_images_ = 0;
  double epoch_loss_ = 0;
  int64_t epoch_loss_count_ = 0;
  double last_epoch_loss_ = std::numeric_limits<double>::quiet_NaN();  // none completed yet
};

/// The model's parameters and buffers under the names checkpoints store them ("model.<name>",
/// "buffer.<name>"); load a checkpoint's model with copy_named(checkpoint, model_tensors(model)).
std::vector<NamedTensor> model_tensors(const DtiSprites& model);

/// Asks every Trainer of this process to stop after its current iteration, write its checkpoint
/// and return with TrainResult::stopped (so a preempted Slurm task can be requeued and resume).
/// Async-signal-safe: a SIGUSR1 handler calls it.
void request_stop();
/// Whether request_stop() was called.
bool stop_requested();
/// Withdraws a request_stop() (tests; a process that trains again after a stop).
void clear_stop_request();

/// Peak resident memory of this process in MiB.
double peak_rss_mb();

}  // namespace dti::core
