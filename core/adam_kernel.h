#pragma once
// torch.optim.Adam's element-wise update in one pass over memory (core/adam.cpp's CPU path).

#include <cstdint>

namespace dti::core {

/// The scalars of one update, each rounded to float32 as LibTorch rounds a Scalar for a float32
/// tensor.
struct AdamScalars {
  bool decay;  ///< whether grad + weight_decay · param is taken (weight decay ≠ 0)
  float weight_decay;
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float bias2_sqrt;  ///< √(1 − β2^t)
  float eps;
  float step;  ///< −lr / (1 − β1^t)
};

/// One update of n contiguous float32 elements, in the order and with the roundings of the
/// operators Adam::update runs (LibTorch 1.13's CPU kernels fuse three of them into FMAs:
/// add(·, alpha), add_(·, alpha) and addcmul_), so equal bit for bit (tests/core/optim_test.cpp).
/// Returns false, touching nothing, unless a check at first use found it equal to this
/// LibTorch's operators (LibTorch 1.13 on a CPU with FMA; LibTorch 2.11 rounds a few
/// parameters in a million otherwise): the caller then runs the operators.
/// Whether fused_adam_update runs here (the check at first use passed).
bool fused_adam_available();

bool fused_adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                       int64_t n, const AdamScalars& s);

}  // namespace dti::core
