#pragma once
// A training trajectory recorded from the authors' code by experiments/parity/record_trajectory.py
// (issue 14): the initial state under our names, every batch's pixels, the random draws their
// code made, and per step the loss, the selections and parameter checksums and probes. The file
// layout is described in that script's docstring and in experiments/parity/TRAJECTORY.md.

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

namespace dti::parity {

/// One recorded reassignment check (every check_cluster_interval steps).
struct RecordedCheck {
  int64_t iteration = 0;            ///< Steps done when it ran (1-based step number).
  int64_t layer = 0;                ///< Layer drawn by np.random.randint (0 when L = 1).
  int64_t source = -1;              ///< Most used sprite, -1 when nothing was reassigned.
  std::vector<int64_t> reassigned;  ///< Restarted sprites.
};

/// Per-tensor records: sum and sum of |x| after each step, and values at fixed flat indices.
struct RecordedTensor {
  at::Tensor init;         ///< Initial value (float32, or int64 for BatchNorm counters).
  at::Tensor probe_index;  ///< [P] int64 flat indices.
  at::Tensor sums;         ///< [S,2] float64: sum, sum of |x|.
  at::Tensor probes;       ///< [S,P] float32 values at probe_index.
};

/// A whole trajectory file, read into memory (a few MB).
struct Trajectory {
  std::string path;                    ///< Where it was read from.
  std::string our_config;              ///< Our config name the replay loads (e.g. tetrominoes).
  std::vector<std::string> overrides;  ///< `section.key=value` applied on both sides.
  std::string reference_config;        ///< The authors' config file name.
  std::string torch_version;           ///< torch that ran the authors' code.
  int64_t steps = 0, steps_per_epoch = 0, batch_size = 0, check_cluster_interval = 0;
  int64_t encoder_multiplicity = 0, n_layers = 0, n_sprites = 0, seed = 0;
  at::Tensor images;       ///< uint8 [S,B,H,W,3].
  at::Tensor rng_state;    ///< uint8 [S,N]: torch CPU generator state before each step.
  at::Tensor noise_probe;  ///< float32 [S,16]: first values of torch.rand(K,1,H,W) from it.
  at::Tensor loss;         ///< float64 [S].
  at::Tensor selection;    ///< int64 [S,L,B].
  std::vector<RecordedCheck> checks;              ///< In order.
  std::map<std::string, RecordedTensor> tensors;  ///< By our name ("model.x", "buffer.x").
  /// Full gradients (after backward, before the optimiser step) at the recorded 1-based steps,
  /// by our parameter name; empty when recorded without --grad-steps.
  std::map<int64_t, std::map<std::string, at::Tensor>> grads;
};

/// Reads a trajectory file; a missing or malformed part raises dti::Error naming the file, the
/// dataset and what was expected.
Trajectory read_trajectory(const std::string& path);

}  // namespace dti::parity
