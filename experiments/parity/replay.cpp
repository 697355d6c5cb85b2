#include "experiments/parity/replay.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>

#include "base/error.h"
#include "core/model.h"
#include "core/trainer.h"
#include "experiments/config/config.h"

namespace dti::parity {
namespace {

// Batch s of the trajectory, uint8 -> float32 x/255 as our dataset reader and torchvision do.
class RecordedBatches : public core::BatchSource {
 public:
  RecordedBatches(const Trajectory& t, std::function<void(int64_t)> before_step)
      : t_(t), before_step_(std::move(before_step)) {}
  int64_t batches_per_epoch() const override { return t_.steps_per_epoch; }
  void seek(int64_t epoch, int64_t batch) override { next_ = epoch * t_.steps_per_epoch + batch; }
  at::Tensor next() override {
    DTI_CHECK(next_ < t_.steps, "replay asked for step ", next_ + 1, " of a trajectory of ",
              t_.steps, " steps");
    before_step_(next_);
    return t_.images[next_++].permute({0, 3, 1, 2}).to(at::kFloat).div(255).contiguous();
  }

 private:
  const Trajectory& t_;
  std::function<void(int64_t)> before_step_;
  int64_t next_ = 0;
};

experiments::RunConfig our_config(const Trajectory& t, const ReplayOptions& options) {
  const std::string path = options.config_dir.empty()
                               ? experiments::resolve_config_path(t.our_config)
                               : options.config_dir + "/" + t.our_config + ".yml";
  auto overrides = t.overrides;
  overrides.insert(overrides.end(), options.overrides.begin(), options.overrides.end());
  auto cfg = experiments::load_config(path, overrides);
  const auto& size = cfg.model.image_size;
  DTI_CHECK(size[0] == t.images.size(2) && size[1] == t.images.size(3), t.path, ": batches are ",
            t.images.size(2), "x", t.images.size(3), " but config ", path, " expects ", size[0],
            "x", size[1]);
  return cfg;
}

// Copies the recorded initial state into our model; every tensor must be there, each once.
void load_initial_state(const Trajectory& t, core::DtiSprites& model) {
  c10::NoGradGuard no_grad;
  size_t used = 0;
  for (const auto& nt : core::model_tensors(model)) {
    auto it = t.tensors.find(nt.name);
    DTI_CHECK(
        it != t.tensors.end(), t.path, ": no initial value for our tensor '", nt.name,
        "'; the authors' model and our config differ (or the driver's name map is out of date)");
    DTI_CHECK(it->second.init.sizes() == nt.tensor.sizes(), t.path, ": tensor '", nt.name,
              "' has shape ", it->second.init.sizes(), "; ours is ", nt.tensor.sizes());
    nt.tensor.copy_(it->second.init);
    ++used;
  }
  DTI_CHECK(used == t.tensors.size(), t.path, ": holds ", t.tensors.size(),
            " tensors but our model has ", used, "; the configurations differ");
}

core::TrainerOptions trainer_options(const Trajectory& t, const experiments::RunConfig& cfg) {
  core::TrainerOptions o = cfg.training;
  o.max_iterations = t.steps;
  o.n_epochs = (t.steps + t.steps_per_epoch - 1) / t.steps_per_epoch;
  o.check_cluster_interval = t.check_cluster_interval;
  o.encoder_update = core::EncoderUpdate::kReference;  // the authors' multiplicity
  o.log_interval = t.steps + 1;
  o.checkpoint_interval = 0;
  return o;
}

// Max relative difference of one tensor against its record after step s (0-based row).
double tensor_difference(const at::Tensor& ours, const RecordedTensor& ref, int64_t s) {
  auto x = ours.detach().to(at::kCPU).to(at::kDouble).flatten();
  const double sum = x.sum().item<double>(), abs_sum = x.abs().sum().item<double>();
  const double ref_sum = ref.sums[s][0].item<double>(), ref_abs = ref.sums[s][1].item<double>();
  const double scale = std::max(ref_abs, 1e-30);
  double rel = std::max(std::abs(sum - ref_sum), std::abs(abs_sum - ref_abs)) / scale;
  const double mean_abs = std::max(ref_abs / static_cast<double>(x.numel()), 1e-30);
  auto probes = x.index_select(0, ref.probe_index);
  auto diff = (probes - ref.probes[s].to(at::kDouble)).abs().max().item<double>();
  return std::max(rel, diff / mean_abs);
}

class Comparer {
 public:
  Comparer(const Trajectory& t, const ReplayOptions& o, core::DtiSprites& model)
      : t_(t), o_(o), model_(model) {
    for (const auto& kv : t.tensors) summary_[kv.first] = {kv.first, 0.0, -1};
  }

  // After step s (0-based) and its reassignment check, before the next step.
  void after_step(int64_t s, StepComparison& c) {
    for (const auto& nt : core::model_tensors(model_)) {
      const double rel = tensor_difference(nt.tensor, t_.tensors.at(nt.name), s);
      auto& sum = summary_[nt.name];
      sum.max_rel = std::max(sum.max_rel, rel);
      const double tol = is_norm_parameter(nt.name) ? o_.norm_tolerance : o_.tolerance;
      if (rel > tol && sum.first_over < 0) sum.first_over = s + 1;
      if (rel > tol && c.parted_tensor.empty()) c.parted_tensor = nt.name;
      if (rel > c.tensor_rel || c.worst_tensor.empty()) {
        c.tensor_rel = rel;
        c.worst_tensor = nt.name;
      }
    }
  }

  // Before step s: their generator state, and a check that our generator draws their noise.
  double set_generator(int64_t s) {
    // A copy with storage of its own: LibTorch 2.11's set_state refused a row view of the
    // [S,5056] table ("Invalid mt19937 state") that 1.13 took.
    auto state = t_.rng_state[s].clone();
    auto probe_gen = at::make_generator<at::CPUGeneratorImpl>();
    probe_gen.set_state(state);
    const int64_t K = t_.n_sprites, H = t_.images.size(2), W = t_.images.size(3);
    auto draw = at::rand({K, 1, H, W}, probe_gen, at::kFloat).flatten().slice(0, 0, 16);
    model_.generator().set_state(state);
    return (draw - t_.noise_probe[s]).abs().max().item<double>();
  }

  std::vector<TensorSummary> summaries() const {
    std::vector<TensorSummary> out;
    for (const auto& kv : summary_) out.push_back(kv.second);
    std::sort(out.begin(), out.end(),
              [](const TensorSummary& a, const TensorSummary& b) { return a.max_rel > b.max_rel; });
    return out;
  }

 private:
  const Trajectory& t_;
  const ReplayOptions& o_;
  core::DtiSprites& model_;
  std::map<std::string, TensorSummary> summary_;
};

// Compares our reassignment events with their checks; marks the steps where they differ.
void compare_checks(const Trajectory& t, const std::vector<core::ReassignmentEvent>& ours,
                    int64_t steps, ReplayResult& r) {
  std::map<int64_t, core::ReassignmentEvent> by_iteration;
  for (const auto& e : ours) by_iteration[e.iteration] = e;
  for (const auto& c : t.checks) {
    if (c.iteration > steps) break;
    ++r.checks;
    if (!c.reassigned.empty()) ++r.reassignments;
    auto it = by_iteration.find(c.iteration);
    const bool ours_did = it != by_iteration.end();
    bool same = ours_did == !c.reassigned.empty();
    if (same && ours_did) {
      same = it->second.source == c.source && it->second.reassigned == c.reassigned &&
             it->second.layer == c.layer;
    }
    if (!same) r.steps[static_cast<size_t>(c.iteration - 1)].check_differs = true;
  }
}

void summarise(const ReplayOptions& o, ReplayResult& r) {
  for (const auto& c : r.steps) {
    r.max_loss_rel = std::max(r.max_loss_rel, c.loss_rel);
    r.max_tensor_rel = std::max(r.max_tensor_rel, c.tensor_rel);
    r.max_noise_abs = std::max(r.max_noise_abs, c.noise_abs);
    if (c.selection_diff > 0) ++r.selection_steps_differing;
    if (r.first_divergence >= 0) continue;
    std::string what;
    if (c.noise_abs > 0) what += "noise draw; ";
    if (c.loss_rel > o.tolerance) what += "loss; ";
    if (c.selection_diff > 0) what += std::to_string(c.selection_diff) + " selections; ";
    if (!c.parted_tensor.empty()) what += "tensor " + c.parted_tensor + "; ";
    if (c.check_differs) what += "reassignment check; ";
    if (!what.empty()) {
      r.first_divergence = c.step;
      r.divergence = what.substr(0, what.size() - 2);
    }
  }
}

// Our gradients (still on the parameters after the optimiser step: Adam adds weight decay to a
// copy) against theirs recorded at the same step, worst first.
void compare_gradients(const core::DtiSprites& model, int64_t step,
                       const std::map<std::string, at::Tensor>& theirs,
                       std::vector<GradientComparison>& out) {
  const size_t first = out.size();
  for (const auto& nt : core::model_tensors(model)) {
    auto it = theirs.find(nt.name);
    if (it == theirs.end()) continue;  // buffers
    const auto& grad = nt.tensor.grad();
    auto ours = grad.defined() ? grad.detach().to(at::kCPU).to(at::kDouble)
                               : at::zeros(nt.tensor.sizes(), at::kDouble);
    auto ref = it->second.to(at::kDouble);
    DTI_CHECK(ours.sizes() == ref.sizes(), "gradient of ", nt.name, " at step ", step,
              ": recorded shape ", ref.sizes(), ", ours ", ours.sizes());
    GradientComparison c;
    c.step = step;
    c.name = nt.name;
    c.ref_abs = ref.abs().sum().item<double>();
    const double diff = (ours - ref).abs().sum().item<double>();
    c.rel = diff == 0 ? 0 : diff / std::max(c.ref_abs, 1e-300);
    c.zero_mismatch = ours.eq(0).ne(ref.eq(0)).sum().item<int64_t>();
    out.push_back(c);
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
            [](const GradientComparison& a, const GradientComparison& b) { return a.rel > b.rel; });
}

}  // namespace

bool is_norm_parameter(const std::string& name) {
  const bool norm =
      name.find(".bn") != std::string::npos || name.find("downsample.1") != std::string::npos;
  return norm && (name.rfind("model.encoder.", 0) == 0 || name.rfind("buffer.encoder.", 0) == 0);
}

ReplayResult replay(const Trajectory& t, const ReplayOptions& options) {
  auto cfg = our_config(t, options);
  core::DtiSprites model(cfg.model, cfg.seed);
  DTI_CHECK(model.num_layers() == t.n_layers && model.num_sprites() == t.n_sprites, t.path,
            ": recorded L = ", t.n_layers, ", K = ", t.n_sprites,
            "; our config gives L = ", model.num_layers(), ", K = ", model.num_sprites());
  DTI_CHECK(model.encoder_multiplicity() == t.encoder_multiplicity, t.path,
            ": the authors' optimiser lists the encoder ", t.encoder_multiplicity,
            " times; our model says ", model.encoder_multiplicity());
  load_initial_state(t, model);
  const int64_t S = options.max_steps > 0 ? std::min(options.max_steps, t.steps) : t.steps;
  Trajectory shortened = t;
  shortened.steps = S;
  core::Trainer trainer(model, trainer_options(shortened, cfg), cfg.seed);
  ReplayResult r;
  r.steps.resize(static_cast<size_t>(S));
  Comparer comparer(t, options, model);
  RecordedBatches batches(t, [&](int64_t s) {
    if (s > 0) comparer.after_step(s - 1, r.steps[static_cast<size_t>(s - 1)]);
    r.steps[static_cast<size_t>(s)].noise_abs = comparer.set_generator(s);
  });
  trainer.on_step([&](const at::Tensor& loss, const at::Tensor& selection) {
    const int64_t s = trainer.iteration();
    auto& c = r.steps[static_cast<size_t>(s)];
    c.step = s + 1;
    c.loss_ref = t.loss[s].item<double>();
    c.loss_ours = loss.item<double>();
    c.loss_rel = std::abs(c.loss_ours - c.loss_ref) / std::max(std::abs(c.loss_ref), 1e-30);
    c.selection_diff = selection.to(at::kCPU).ne(t.selection[s]).sum().item<int64_t>();
    auto g = t.grads.find(s + 1);
    if (g != t.grads.end()) compare_gradients(model, s + 1, g->second, r.gradients);
  });
  size_t next_check = 0;
  trainer.set_layer_draw([&](int64_t) {
    // Their check ran at the same iteration (same interval); feed its np.random draw.
    while (next_check < t.checks.size() && t.checks[next_check].iteration < trainer.iteration()) {
      ++next_check;
    }
    if (next_check < t.checks.size() && t.checks[next_check].iteration == trainer.iteration()) {
      return t.checks[next_check++].layer;
    }
    r.steps[static_cast<size_t>(trainer.iteration() - 1)].check_differs = true;
    return int64_t{0};
  });
  std::vector<core::ReassignmentEvent> events;
  trainer.on_reassignment([&](const core::ReassignmentEvent& e) { events.push_back(e); });
  trainer.train(batches);
  comparer.after_step(S - 1, r.steps.back());
  compare_checks(t, events, S, r);
  r.tensors = comparer.summaries();
  for (const auto& ts : r.tensors) {
    double& m = is_norm_parameter(ts.name) ? r.max_norm_rel : r.max_other_rel;
    m = std::max(m, ts.max_rel);
  }
  summarise(options, r);
  return r;
}

namespace {

// Mean signed relative loss difference (ours − theirs)/theirs per window of 50 steps, and the
// mean losses: chaos from rounding averages out, a systematic difference does not.
void print_loss_bias(const ReplayResult& r, std::ostream& out) {
  constexpr size_t kWindow = 50;
  if (r.steps.size() < kWindow) return;
  out << "loss bias per " << kWindow
      << " steps, mean (ours - theirs)/theirs [mean loss theirs, ours]:";
  for (size_t begin = 0; begin + kWindow <= r.steps.size(); begin += kWindow) {
    double rel = 0, ref = 0, ours = 0;
    for (size_t i = begin; i < begin + kWindow; ++i) {
      const auto& c = r.steps[i];
      rel += (c.loss_ours - c.loss_ref) / std::max(std::abs(c.loss_ref), 1e-30);
      ref += c.loss_ref;
      ours += c.loss_ours;
    }
    const double n = static_cast<double>(kWindow);
    out << "\n  steps " << begin + 1 << "-" << begin + kWindow << ": " << std::showpos << rel / n
        << std::noshowpos << " [" << std::setprecision(6) << ref / n << ", " << ours / n << "]"
        << std::setprecision(3);
  }
  out << "\n";
}

// Per recorded step: the 6 parameters whose gradients differ most, and exact-zero disagreements.
// A step's comparisons are sorted worst first (compare_gradients), so its first is the worst.
void print_gradients(const ReplayResult& r, std::ostream& out) {
  int64_t step = 0;
  int shown = 0;
  for (const auto& g : r.gradients) {
    if (g.step != step) {
      step = g.step;
      shown = 0;
      int64_t zeros = 0;
      for (const auto& h : r.gradients) {
        if (h.step == step) zeros += h.zero_mismatch;
      }
      out << "gradients at step " << step << ": worst relative L1 difference " << g.rel << ", "
          << zeros << " elements exactly 0 on one side only\n";
    }
    if (++shown > 6) continue;
    out << "  " << std::setw(10) << g.rel << "  " << std::setw(11) << g.ref_abs << "  "
        << std::setw(6) << g.zero_mismatch << "  " << g.name << "\n";
  }
}

}  // namespace

void print_replay(const Trajectory& t, const ReplayOptions& o, const ReplayResult& r, int64_t every,
                  std::ostream& out) {
  out << "trajectory " << t.path << ": " << t.reference_config << " (torch " << t.torch_version
      << ") vs our " << t.our_config;
  for (const auto& s : t.overrides) out << " --set " << s;
  out << "\n"
      << r.steps.size() << " steps, batch " << t.batch_size << ", " << t.steps_per_epoch
      << " steps per epoch, checks every " << t.check_cluster_interval << ", tolerance "
      << o.tolerance << " (BatchNorm parameters " << o.norm_tolerance << ")\n";
  out << std::setprecision(3);
  if (every > 0) {
    out << "  step  loss(theirs)    loss(ours)    rel.diff  sel.diff  tensor rel  worst tensor\n";
    for (const auto& c : r.steps) {
      if (c.step % every != 0 && c.step != 1) continue;
      out << std::setw(6) << c.step << std::setw(14) << std::setprecision(8) << c.loss_ref
          << std::setw(14) << c.loss_ours << std::setprecision(3) << std::setw(12) << c.loss_rel
          << std::setw(10) << c.selection_diff << std::setw(12) << c.tensor_rel << "  "
          << c.worst_tensor << (c.check_differs ? "  [check differs]" : "") << "\n";
    }
  }
  out << "max relative difference: loss " << r.max_loss_rel << "; BatchNorm tensors "
      << r.max_norm_rel << " (tolerance " << o.norm_tolerance << "); other tensors "
      << r.max_other_rel << "; noise draws max abs " << r.max_noise_abs << "\n";
  out << "worst tensors (max relative difference, first step beyond its tolerance):\n";
  for (bool norm : {true, false}) {
    int shown = 0;
    for (const auto& ts : r.tensors) {
      if (is_norm_parameter(ts.name) != norm || ++shown > 5) continue;
      out << "  " << std::setw(10) << ts.max_rel << "  " << std::setw(5) << ts.first_over << "  "
          << ts.name << "\n";
    }
  }
  print_loss_bias(r, out);
  print_gradients(r, out);
  out << "steps with a differing selection: " << r.selection_steps_differing << " of "
      << r.steps.size() << "; reassignment checks compared: " << r.checks << " (" << r.reassignments
      << " reassigned)\n";
  if (r.first_divergence < 0) {
    out << "no divergence beyond the tolerance\n";
  } else {
    out << "first divergence at step " << r.first_divergence << ": " << r.divergence << "\n";
  }
}

void write_replay_csv(const ReplayResult& r, const std::string& path) {
  std::ofstream csv(path);
  DTI_CHECK(csv.good(), "cannot write ", path);
  csv << "step,loss_theirs,loss_ours,loss_rel,selection_diff,tensor_rel,worst_tensor,check_"
         "differs\n";
  csv << std::setprecision(10);
  for (const auto& c : r.steps) {
    csv << c.step << "," << c.loss_ref << "," << c.loss_ours << "," << c.loss_rel << ","
        << c.selection_diff << "," << c.tensor_rel << "," << c.worst_tensor << ","
        << (c.check_differs ? 1 : 0) << "\n";
  }
}

}  // namespace dti::parity
