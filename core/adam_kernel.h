#pragma once
// torch.optim.Adam's element-wise update in one pass over memory (core/adam.cpp's CPU path).

#include <ATen/ATen.h>

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

/// Settings of one update: a group's lr and weight decay, the shared betas and eps, and the
/// update's count t (the bias corrections' exponent).
struct AdamStepSettings {
  double lr, weight_decay, beta1, beta2, eps;
  int64_t step;
};

/// The scalars of `settings` as the fused update takes them.
AdamScalars adam_scalars(const AdamStepSettings& settings);

/// torch.optim.Adam's update with LibTorch's operators, in place on param and the moments:
/// Adam::update's path, and what fused_adam_update is checked against.
void adam_operators_update(at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg,
                           at::Tensor& exp_avg_sq, const AdamStepSettings& settings);

/// The one-pass update of n contiguous float32 elements, split among the threads, without the
/// check at first use: what fused_adam_update runs where that check passed. Needs AVX2 and FMA.
/// Tests call it on every LibTorch (within a rounding of the operators where they round
/// otherwise), so the sanitized builds run it whichever LibTorch they use.
void adam_update_loop(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n,
                      const AdamScalars& s);

/// Whether fused_adam_update runs here (the check at first use passed).
bool fused_adam_available();

/// One update of n contiguous float32 elements, in the order and with the roundings of
/// adam_operators_update (LibTorch 1.13's CPU kernels fuse three of its operators into FMAs:
/// add(·, alpha), add_(·, alpha) and addcmul_), so equal bit for bit (tests/core/optim_test.cpp).
/// Returns false, touching nothing, unless a check at first use found it equal to this
/// LibTorch's operators (LibTorch 1.13 on a CPU with FMA; LibTorch 2.11 rounds a few
/// parameters in a million otherwise): the caller then runs the operators.
bool fused_adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                       int64_t n, const AdamScalars& s);

}  // namespace dti::core
