#pragma once
// Replays a trajectory recorded from the authors' code (trajectory.h) in our model and trainer:
// the same initial state, the same batches, the same random draws (torch's CPU generator state
// before each step; np.random's layer draw at each reassignment check), and compares the loss,
// the selections and every tensor after each step (issue 14, experiments/parity/TRAJECTORY.md).
// The steps run through core::Trainer::train(), the code path of every training run.

#include <iosfwd>
#include <string>
#include <vector>

#include "experiments/parity/trajectory.h"

namespace dti::parity {

/// What to replay and when two values count as parted.
struct ReplayOptions {
  /// Relative difference beyond which a quantity has parted (loss: |a-b|/|b|; tensors: see
  /// StepComparison::tensor_rel).
  double tolerance = 1e-3;
  /// The same for the encoder's BatchNorm weights, biases and running statistics. Their
  /// gradients are near zero in places, where Adam's normalised step turns float32 rounding of
  /// the gradient into a visible difference of the parameter (reports/results/parity.md).
  double norm_tolerance = 5e-2;
  /// Replay only the first N steps (0 = all).
  int64_t max_steps = 0;
  /// Directory of our configs ("" = the shipped ones).
  std::string config_dir;
  /// `key=value` overrides applied after the trajectory's own, e.g. training.encoder_norm=fused
  /// to see how far a named option takes the run from the authors'.
  std::vector<std::string> overrides;
};

/// Ours against theirs after one step.
struct StepComparison {
  int64_t step = 0;            ///< 1-based.
  double loss_ref = 0;         ///< Their loss.
  double loss_ours = 0;        ///< Ours.
  double loss_rel = 0;         ///< |ours - theirs| / |theirs|.
  int64_t selection_diff = 0;  ///< (layer, image) pairs choosing another sprite.
  double noise_abs = 0;        ///< max |ours - theirs| of the noise probe drawn from their state.
  /// Worst tensor: max over its probes of |ours - theirs| / (mean |x| of theirs), and the same
  /// for its sum and sum of |x| (relative to their sum of |x|).
  double tensor_rel = 0;
  std::string worst_tensor;    ///< Name of that tensor.
  std::string parted_tensor;   ///< First tensor beyond its tolerance ("" = none).
  bool check_differs = false;  ///< A reassignment check after this step did something else.
};

/// Per-tensor maxima over the replay.
struct TensorSummary {
  std::string name;         ///< Our name.
  double max_rel = 0;       ///< Largest relative difference (as StepComparison::tensor_rel).
  int64_t first_over = -1;  ///< First step beyond the tolerance, -1 = never.
};

/// One parameter's gradient at a step whose gradients were recorded (--grad-steps).
struct GradientComparison {
  int64_t step = 0;           ///< 1-based.
  std::string name;           ///< Our name.
  double rel = 0;             ///< Σ|ours − theirs| / Σ|theirs| (0 when both are all zero).
  double ref_abs = 0;         ///< Σ|theirs|.
  int64_t zero_mismatch = 0;  ///< Elements exactly 0 on one side only.
};

/// The replay's outcome.
struct ReplayResult {
  std::vector<GradientComparison>
      gradients;                          ///< Recorded steps × parameters, worst first per step.
  std::vector<StepComparison> steps;      ///< One per replayed step.
  std::vector<TensorSummary> tensors;     ///< One per tensor, sorted by max_rel, worst first.
  int64_t first_divergence = -1;          ///< First step where anything parted, -1 = none.
  std::string divergence;                 ///< What parted there.
  double max_loss_rel = 0;                ///< Over all steps.
  double max_tensor_rel = 0;              ///< Over all steps and tensors.
  double max_norm_rel = 0;                ///< Over all steps, BatchNorm tensors.
  double max_other_rel = 0;               ///< Over all steps, every other tensor.
  double max_noise_abs = 0;               ///< Over all steps.
  int64_t selection_steps_differing = 0;  ///< Steps with any selection differing.
  int64_t checks = 0;                     ///< Reassignment checks compared.
  int64_t reassignments = 0;              ///< Of which reassigned something (theirs).
};

/// Replays `trajectory`. Problems with the file or the configuration raise dti::Error.
ReplayResult replay(const Trajectory& trajectory, const ReplayOptions& options);

/// Whether `name` is a BatchNorm weight, bias or running statistic of the encoder
/// (norm_tolerance applies).
bool is_norm_parameter(const std::string& name);

/// Prints the summary (and, with `every` > 0, one line per `every` steps) to `out`.
void print_replay(const Trajectory& trajectory, const ReplayOptions& options,
                  const ReplayResult& result, int64_t every, std::ostream& out);

/// Writes one CSV line per step (step, losses, differences, worst tensor).
void write_replay_csv(const ReplayResult& result, const std::string& path);

}  // namespace dti::parity
