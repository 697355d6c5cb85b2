#include "core/trainer.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <sstream>

#include "base/error.h"
#include "core/reassignment.h"

namespace dti::core {
namespace {
volatile std::sig_atomic_t g_stop_requested = 0;  // set from a signal handler

constexpr const char* kCheckpointKind = "dtisprites-trainer-1";

std::string to_text(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::vector<NamedTensor> prefixed(const std::string& prefix, const std::vector<NamedTensor>& in) {
  std::vector<NamedTensor> out;
  for (const auto& t : in) out.push_back({prefix + t.name, t.tensor});
  return out;
}

}  // namespace

EncoderUpdate parse_encoder_update(const std::string& name) {
  if (name == "reference") return EncoderUpdate::kReference;
  if (name == "deduplicated") return EncoderUpdate::kDeduplicated;
  throw Error("encoder_update: unknown value '" + name + "'; valid: reference, deduplicated");
}

ReassignMoments parse_reassign_moments(const std::string& name) {
  if (name == "alias") return ReassignMoments::kAlias;
  if (name == "copy") return ReassignMoments::kCopy;
  throw Error("reassign_moments: unknown value '" + name + "'; valid: alias, copy");
}

void TrainerOptions::validate() const {
  DTI_CHECK(lr > 0, "lr must be > 0, got ", lr);
  DTI_CHECK(sprite_weight_decay >= 0 && network_weight_decay >= 0,
            "weight decays must be >= 0, got ", sprite_weight_decay, " and ", network_weight_decay);
  DTI_CHECK(gamma.size() == 1 || gamma.size() == 2,
            "scheduler gamma must be one factor or two (sprites, networks), got ", gamma.size(),
            " values");
  for (double g : gamma) DTI_CHECK(g > 0, "scheduler gamma must be > 0, got ", g);
  for (size_t i = 0; i < milestones.size(); ++i) {
    DTI_CHECK(milestones[i] > 0 && (i == 0 || milestones[i] >= milestones[i - 1]),
              "scheduler milestones must be positive and non-decreasing epochs");
  }
  DTI_CHECK(n_epochs >= 1, "n_epoches must be >= 1, got ", n_epochs);
  DTI_CHECK(max_iterations >= 0, "max_iterations must be >= 0, got ", max_iterations);
  DTI_CHECK(check_cluster_interval >= 1, "check_cluster_interval must be >= 1, got ",
            check_cluster_interval);
  DTI_CHECK(log_interval >= 1, "train_stat_interval must be >= 1, got ", log_interval);
  DTI_CHECK(checkpoint_interval >= 0, "checkpoint_interval must be >= 0, got ",
            checkpoint_interval);
}

std::vector<NamedTensor> model_tensors(const DtiSprites& model) {
  std::vector<NamedTensor> out;
  for (const auto& p : model.parameters()) out.push_back({"model." + p.name, p.tensor});
  for (const auto& b : model.buffers()) out.push_back({"buffer." + b.name, b.tensor});
  return out;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

Trainer::Trainer(DtiSprites& model, TrainerOptions options, uint64_t seed)
    : model_(model), options_(std::move(options)), rng_(seed) {
  options_.validate();
  apply_matmul_precision(options_.precision);
  DTI_CHECK(model.num_backgrounds() <= 1 || !model.options().reassign_cluster,
            "reassignment of several backgrounds (n_backgrounds = ", model.num_backgrounds(),
            ") is not implemented; set reassign_cluster: false");
  parameters_ = model.parameters();
  std::vector<AdamParameter> params;
  const int64_t repeats =
      options_.encoder_update == EncoderUpdate::kReference ? model.encoder_multiplicity() : 1;
  for (const auto& p : parameters_) {
    params.push_back(
        {p.name, p.tensor, p.group == ParameterGroup::kSprites ? 0u : 1u, p.encoder ? repeats : 1});
  }
  adam_ = std::make_unique<Adam>(
      params, std::vector<AdamGroup>{{options_.lr, options_.sprite_weight_decay},
                                     {options_.lr, options_.network_weight_decay}});
  const auto on_device = at::TensorOptions().dtype(at::kDouble).device(model.device());
  usage_sum_ = at::zeros({model.num_layers(), model.num_sprites()}, on_device);
  report_usage_ = at::zeros({model.num_sprites()}, on_device);
}

double Trainer::scheduled_lr(size_t group, int64_t completed_epochs) const {
  // torch MultiStepLR stepped once per epoch: during the epoch after `c` completed ones, the rate
  // has been multiplied once per milestone m <= c.
  const double gamma = options_.gamma.size() == 1 ? options_.gamma[0] : options_.gamma.at(group);
  double lr = options_.lr;
  for (int64_t m : options_.milestones) {
    if (m <= completed_epochs) lr *= gamma;
  }
  return lr;
}

void Trainer::set_checkpoint(const std::string& path, std::map<std::string, std::string> metadata) {
  checkpoint_path_ = path;
  checkpoint_metadata_ = std::move(metadata);
}

void Trainer::step_once(const at::Tensor& images) {
  adam_->zero_grad();
  auto out = [&] {
    AutocastScope autocast(options_.precision, model_.device());
    return model_.forward_train(images);
  }();
  out.loss.backward();
  adam_->step();
  if (step_cb_) step_cb_(out.loss.detach(), out.selection);
  pending_losses_.push_back(out.loss.detach());
  // Selection shares of this batch per layer and sprite (the reference's proportions), summed
  // on the device; shares of 0/1 values are exact, so CPU and CUDA sums agree bit for bit.
  const int64_t K = model_.num_sprites();
  auto shares = at::one_hot(out.selection, K).to(at::kDouble).mean(1);  // [L,K]
  usage_sum_ += shares;
  usage_count_ += 1;
  report_usage_ += shares.mean(0);
  report_images_ += images.size(0);
}

void Trainer::flush_losses() {
  if (pending_losses_.empty()) return;
  const int64_t first = iteration_ - static_cast<int64_t>(pending_losses_.size()) + 1;
  auto values = at::stack(pending_losses_).to(at::kCPU).to(at::kDouble).contiguous();
  pending_losses_.clear();
  const double* v = values.data_ptr<double>();
  for (int64_t i = 0; i < values.numel(); ++i) {
    if (!std::isfinite(v[i])) {
      // Found at most one report interval late; no checkpoint has been written since.
      std::string last = checkpoint_path_.empty() || last_checkpoint_iteration_ < 0
                             ? "none written yet"
                             : checkpoint_path_ + " (iteration " +
                                   std::to_string(last_checkpoint_iteration_) + ")";
      throw Error("training stopped: the loss is " +
                  std::string(std::isnan(v[i]) ? "NaN" : "infinite") + " at iteration " +
                  std::to_string(first + i) + " (noticed at iteration " +
                  std::to_string(iteration_) + "); last good checkpoint: " + last +
                  ". Lower the learning rate or check the data.");
    }
    // Summed one value at a time, in order, exactly as a per-step host sum would.
    report_loss_ += v[i];
    report_count_ += 1;
    epoch_loss_ += v[i];
    epoch_loss_count_ += 1;
  }
}

void Trainer::check_clusters() {
  if (usage_count_ == 0) return;
  auto proportions = (usage_sum_ / static_cast<double>(usage_count_)).to(at::kCPU);  // [L,K]
  usage_sum_.zero_();
  usage_count_ = 0;
  const int64_t L = model_.num_layers();
  // Several layers: the proportions of one random layer (reference check_cluster).
  int64_t layer = 0;
  if (L > 1) {
    layer = layer_draw_ ? layer_draw_(L) : std::uniform_int_distribution<int64_t>(0, L - 1)(rng_);
    DTI_CHECK(layer >= 0 && layer < L, "reassignment layer draw gave ", layer, "; expected 0..",
              L - 1);
  }
  if (!model_.options().reassign_cluster || model_.sprites_frozen()) return;
  auto row = proportions[layer].contiguous();
  std::vector<double> props(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
  auto plan = plan_reassignment(props, model_.options().add_empty_sprite,
                                model_.options().resolved_cluster_threshold());
  if (plan.reassigned.empty()) return;
  for (int64_t dst : plan.reassigned) {
    model_.restart_sprite_from(dst, plan.source);
    for (size_t i = 0; i < parameters_.size(); ++i) {
      if (!parameters_[i].copy_moments) continue;
      // The authors rebind the predictors' moments (`opt.state[p_i]['exp_avg'] =
      // opt.state[p_j]['exp_avg']`, aliasing) but copy the mask's (`exp_avg[i] = exp_avg[j]`).
      const bool alias = options_.reassign_moments == ReassignMoments::kAlias &&
                         parameters_[i].group == ParameterGroup::kNetworks;
      if (alias) {
        adam_->alias_state_slice(i, parameters_[i].sprite_dim, dst, plan.source);
      } else {
        adam_->copy_state_slice(i, parameters_[i].sprite_dim, dst, plan.source);
      }
    }
  }
  model_.restart_sprite_from(plan.source, plan.source);  // the source gets fresh noise too
  if (reassign_cb_) reassign_cb_({iteration_, layer, plan.source, plan.reassigned});
}

void Trainer::report(int64_t total_iterations, double elapsed) {
  flush_losses();
  if (!progress_cb_ || report_count_ == 0) return;
  TrainProgress p;
  p.iteration = iteration_;
  p.total_iterations = total_iterations;
  p.epoch = epoch_;
  p.n_epochs = options_.n_epochs;
  p.loss = report_loss_ / static_cast<double>(report_count_);
  p.images_per_second = elapsed > 0 ? static_cast<double>(report_images_) / elapsed : 0;
  const double iterations_per_second =
      elapsed > 0 ? static_cast<double>(report_count_) / elapsed : 0;
  p.seconds_left = iterations_per_second > 0
                       ? static_cast<double>(total_iterations - iteration_) / iterations_per_second
                       : 0;
  p.lr = {adam_->lr(0), adam_->lr(1)};
  auto usage = (report_usage_ / static_cast<double>(report_count_)).to(at::kCPU).contiguous();
  p.sprite_usage.assign(usage.data_ptr<double>(), usage.data_ptr<double>() + usage.numel());
  progress_cb_(p);
  report_usage_.zero_();
  report_loss_ = 0;
  report_count_ = 0;
  report_images_ = 0;
}

TrainResult Trainer::train(BatchSource& source) {
  using clock = std::chrono::steady_clock;
  const int64_t per_epoch = source.batches_per_epoch();
  DTI_CHECK(per_epoch > 0,
            "training data has no batch: the dataset is empty or smaller than a batch");
  int64_t total = options_.n_epochs * per_epoch;
  if (options_.max_iterations > 0) total = std::min(total, options_.max_iterations);
  source.seek(epoch_, batch_);
  const auto start = clock::now();
  auto last_report = start;
  const int64_t first_iteration = iteration_;
  int64_t images = 0;
  while (epoch_ < options_.n_epochs && iteration_ < total) {
    model_.set_epoch(epoch_);
    for (size_t g = 0; g < 2; ++g) adam_->set_lr(g, scheduled_lr(g, epoch_));
    auto batch = source.next().to(model_.device(), at::kFloat);
    step_once(batch);
    images += batch.size(0);
    ++iteration_;
    if (++batch_ == per_epoch) {
      flush_losses();
      ++epoch_;
      batch_ = 0;
      last_epoch_loss_ = epoch_loss_ / static_cast<double>(std::max<int64_t>(epoch_loss_count_, 1));
      epoch_loss_ = 0;
      epoch_loss_count_ = 0;
    }
    if (iteration_ % options_.check_cluster_interval == 0) check_clusters();
    if (iteration_ % options_.log_interval == 0) {
      const auto now = clock::now();
      report(total, std::chrono::duration<double>(now - last_report).count());
      last_report = now;
    }
    if (!checkpoint_path_.empty() && options_.checkpoint_interval > 0 &&
        iteration_ % options_.checkpoint_interval == 0) {
      save(checkpoint_path_);
      last_checkpoint_iteration_ = iteration_;
    }
    if (stop_requested()) break;  // the checkpoint below makes the run resumable here
  }
  const auto end = clock::now();
  report(total, std::chrono::duration<double>(end - last_report).count());
  model_.set_epoch(epoch_);
  if (!checkpoint_path_.empty()) {
    save(checkpoint_path_);
    last_checkpoint_iteration_ = iteration_;
  }
  TrainResult result;
  result.iterations = iteration_;
  // The last complete epoch's mean loss; a run shorter than one epoch reports its partial mean.
  result.final_loss =
      std::isnan(last_epoch_loss_)
          ? epoch_loss_ / static_cast<double>(std::max<int64_t>(epoch_loss_count_, 1))
          : last_epoch_loss_;
  result.seconds = std::chrono::duration<double>(end - start).count();
  result.images_per_second =
      result.seconds > 0 && iteration_ > first_iteration ? images / result.seconds : 0;
  result.peak_rss_mb = peak_rss_mb();
  result.stopped = stop_requested() && iteration_ < total;
  return result;
}

void Trainer::save(const std::string& path) {
  flush_losses();
  Checkpoint ck;
  ck.metadata = checkpoint_metadata_;
  ck.metadata["kind"] = kCheckpointKind;
  ck.metadata["iteration"] = std::to_string(iteration_);
  ck.metadata["epoch"] = std::to_string(epoch_);
  ck.metadata["batch"] = std::to_string(batch_);
  ck.metadata["usage_count"] = std::to_string(usage_count_);
  ck.metadata["epoch_loss"] = to_text(epoch_loss_);
  ck.metadata["epoch_loss_count"] = std::to_string(epoch_loss_count_);
  ck.metadata["last_epoch_loss"] = to_text(last_epoch_loss_);
  std::ostringstream rng;
  rng << rng_;
  ck.metadata["trainer_rng"] = rng.str();
  ck.tensors = model_tensors(model_);
  for (auto& t : prefixed("adam.", adam_->state_tensors())) ck.tensors.push_back(t);
  ck.tensors.push_back({"rng.model", const_cast<DtiSprites&>(model_).generator().get_state()});
  ck.tensors.push_back({"trainer.usage_sum", usage_sum_});
  // The progress accumulators since the last report, so that a resumed run's next report (and
  // its stored curve) equals an uninterrupted run's. Throughput is not carried: its clock
  // restarts with the process.
  ck.metadata["report_loss"] = to_text(report_loss_);
  ck.metadata["report_count"] = std::to_string(report_count_);
  ck.tensors.push_back({"trainer.report_usage", report_usage_});
  save_checkpoint(path, ck);
}

void Trainer::resume(const std::string& path) {
  auto ck = load_checkpoint(path);
  DTI_CHECK(ck.metadata.count("kind") && ck.meta("kind") == kCheckpointKind, "checkpoint ", path,
            " was not written by the trainer (kind '",
            ck.metadata.count("kind") ? ck.meta("kind") : "", "'); cannot resume from it");
  copy_named(ck, model_tensors(model_));
  std::vector<NamedTensor> adam_state;
  for (const auto& t : ck.tensors) {
    if (t.name.rfind("adam.", 0) == 0) adam_state.push_back({t.name.substr(5), t.tensor});
  }
  adam_->load_state_tensors(adam_state);
  model_.generator().set_state(ck.tensor("rng.model"));
  usage_sum_ = ck.tensor("trainer.usage_sum").clone().to(usage_sum_.device());
  iteration_ = std::stoll(ck.meta("iteration"));
  epoch_ = std::stoll(ck.meta("epoch"));
  batch_ = std::stoll(ck.meta("batch"));
  usage_count_ = std::stoll(ck.meta("usage_count"));
  epoch_loss_ = std::stod(ck.meta("epoch_loss"));
  epoch_loss_count_ = std::stoll(ck.meta("epoch_loss_count"));
  last_epoch_loss_ = std::stod(ck.meta("last_epoch_loss"));
  std::istringstream rng(ck.meta("trainer_rng"));
  rng >> rng_;
  if (ck.metadata.count("report_count")) {  // absent from checkpoints of older builds
    report_loss_ = std::stod(ck.meta("report_loss"));
    report_count_ = std::stoll(ck.meta("report_count"));
    report_usage_ = ck.tensor("trainer.report_usage").clone().to(report_usage_.device());
  }
  last_checkpoint_iteration_ = iteration_;
  model_.set_epoch(epoch_);
}

void request_stop() { g_stop_requested = 1; }

bool stop_requested() { return g_stop_requested != 0; }

void clear_stop_request() { g_stop_requested = 0; }

}  // namespace dti::core
