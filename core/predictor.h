#pragma once
// Predictors (docs/model.md#predictors): G independent MLPs Linear(D,128) → ReLU → Linear(128,128)
// → ReLU → Linear(128,P) that read the same features, evaluated together (one matrix product
// for the first layer, batched products for the others) instead of one after another.

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "core/parameters.h"

namespace dti::core {

/// Hidden width of every predictor (the reference's N_HIDDEN_UNITS).
inline constexpr int64_t kPredictorHidden = 128;

/// G MLPs D → 128 → 128 → P with their last layer zero-initialised (β = 0 at the start).
class PredictorBank {
 public:
  /// Hidden layers use PyTorch's nn.Linear initialisation (U(±1/√fan_in) for weight and bias).
  PredictorBank(int64_t count, int64_t in_features, int64_t out_features, at::Generator generator);

  /// features [B,D] -> parameters β [G,B,P].
  at::Tensor forward(const at::Tensor& features) const;

  /// Number G of MLPs.
  int64_t count() const { return count_; }
  /// Output size P.
  int64_t out_features() const { return out_features_; }
  /// Learnable tensors named `<prefix>.w1`, ... Each holds all G MLPs along instance_dim().
  std::vector<NamedTensor> parameters(const std::string& prefix) const;
  /// Axis of `parameters()[i]` that indexes the G MLPs (1 for w1 [D,G,128], 0 otherwise).
  static int64_t instance_dim(size_t parameter_index) { return parameter_index == 0 ? 1 : 0; }
  /// Copies MLP `src` into MLP `dst` (the reference's load_with_noise with noise 0).
  void copy_instance(int64_t dst, int64_t src);
  /// Moves the weights to `device`.
  void to(const at::Device& device);

 private:
  int64_t count_, in_features_, out_features_;
  at::Tensor w1_, b1_;  // [D,G,H], [G,H]
  at::Tensor w2_, b2_;  // [G,H,H], [G,H]
  at::Tensor w3_, b3_;  // [G,H,P], [G,P]
};

}  // namespace dti::core
