#pragma once
// Adam exactly as torch.optim.Adam 1.13 computes it (L2 weight decay added to the gradient,
// bias corrections, eps after the corrected square root), with two features the reference's
// behaviour needs: a parameter may be updated several times per step (the encoder listed once per
// transformation network, docs/training.md#encoder-multiplicity), and moments can be copied or
// aliased between sprite slices (empty-sprite reassignment, docs/training.md#reassignment).

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "core/adam_kernel.h"
#include "core/parameters.h"

namespace dti::core {

/// Hyper-parameters of one parameter group.
struct AdamGroup {
  double lr = 1e-3;           ///< Learning rate.
  double weight_decay = 0.0;  ///< L2 penalty added to the gradient.
};

/// Settings shared by all groups (torch defaults).
struct AdamOptions {
  double beta1 = 0.9;    ///< First-moment decay.
  double beta2 = 0.999;  ///< Second-moment decay.
  double eps = 1e-8;     ///< Added to the denominator.
  /// On the CPU in float32, one pass over memory per tensor (core/adam_kernel.h, equal bit for
  /// bit) instead of LibTorch's nine operators; false runs those operators.
  bool fused_cpu_kernel = true;
};

/// One optimised tensor.
struct AdamParameter {
  std::string name;     ///< Stable name (checkpoints).
  at::Tensor tensor;    ///< Leaf tensor updated in place.
  size_t group = 0;     ///< Index into the groups.
  int64_t repeats = 1;  ///< Updates applied per step with the same gradient (multiplicity).
};

/// Per-tensor state, created at the first step that sees a gradient (as in torch).
struct AdamState {
  at::Tensor exp_avg;     ///< First moment.
  at::Tensor exp_avg_sq;  ///< Second moment.
  int64_t step = 0;       ///< Updates applied so far (repeats counted).
  /// Aliased moments (alias_state_slice): slice k along `alias_dim` reads and updates the moment
  /// stored at slice moment_of[k]. Empty = every slice owns its moments.
  std::vector<int64_t> moment_of;
  int64_t alias_dim = -1;  ///< Axis of moment_of, or -1.
  /// update_aliased()'s index tensors, one (slices, moment objects) pair per round, on the
  /// parameter's device; built from `rounds_of` = moment_of when that changes (a reassignment),
  /// not at every step: an index made on the host and copied to a GPU makes the step wait.
  std::vector<std::pair<at::Tensor, at::Tensor>> rounds;
  std::vector<int64_t> rounds_of;  ///< The moment_of that `rounds` was built from.
};

/// The optimiser. Tensors whose gradient is undefined are skipped, like torch: a module never
/// used so far (inactive by curriculum, frozen sprites) is not decayed.
class Adam {
 public:
  /// Validates groups (lr > 0, weight decay >= 0) and repeats (>= 1).
  Adam(std::vector<AdamParameter> parameters, std::vector<AdamGroup> groups,
       AdamOptions options = {});

  /// One optimisation step over every tensor with a defined gradient.
  void step();
  /// Zeroes the defined gradients in place (torch 1.13's zero_grad(set_to_none=False)), so a
  /// tensor once used keeps being updated, as in the reference.
  void zero_grad();

  /// Learning rate of group g.
  double lr(size_t g) const { return groups_.at(g).lr; }
  /// Sets the learning rate of group g (schedules).
  void set_lr(size_t g, double lr) { groups_.at(g).lr = lr; }
  /// The optimised tensors, in order.
  const std::vector<AdamParameter>& parameters() const { return parameters_; }
  /// State of tensor i (moments undefined before its first update).
  const AdamState& state(size_t i) const { return states_.at(i); }
  /// Copies the moments of slice `src` into slice `dst` along `dim` of tensor i (no-op before
  /// its first update).
  void copy_state_slice(size_t i, int64_t dim, int64_t dst, int64_t src);
  /// Makes slice `dst` along `dim` of tensor i share the very moments of slice `src` from now on,
  /// as the authors' `opt.state[p_dst]['exp_avg'] = opt.state[p_src]['exp_avg']`: both keep
  /// updating one state, each in its turn with its own gradient, in slice order as torch's Adam
  /// walks its parameter list (no-op before the first update; docs/training.md#reassignment).
  void alias_state_slice(size_t i, int64_t dim, int64_t dst, int64_t src);

  /// Named state tensors for checkpoints: `<name>.exp_avg`, `<name>.exp_avg_sq`, `<name>.step`,
  /// and `<name>.moment_of` ([alias_dim, moment_of...], int64) once slices are aliased.
  std::vector<NamedTensor> state_tensors() const;
  /// Restores state from tensors named as state_tensors() writes them (moved to each tensor's
  /// device); tensors absent from `tensors` keep an empty state.
  void load_state_tensors(const std::vector<NamedTensor>& tensors);

 private:
  void update(AdamParameter& p, AdamState& s, const at::Tensor& grad);
  // update() on the CPU in one pass (core/adam_kernel.h); false where it does not apply.
  bool update_fused(AdamParameter& p, AdamState& s, const at::Tensor& grad,
                    const AdamStepSettings& settings);
  void update_aliased(AdamParameter& p, AdamState& s, const at::Tensor& grad);
  // Groups the slices of an aliased tensor into rounds (update_aliased) and puts their indices on
  // `device`, once per change of s.moment_of.
  static void build_alias_rounds(AdamState& s, const at::Device& device);

  std::vector<AdamParameter> parameters_;
  std::vector<AdamGroup> groups_;
  AdamOptions options_;
  std::vector<AdamState> states_;
};

}  // namespace dti::core
