// LibTorch 1.13's CPU training-mode BatchNorm on channels-last float32, rounding for rounding,
// with the residual sum and the ReLU folded into its passes: the encoder's "BN → (+ shortcut) →
// ReLU" in fewer passes over memory and with the same bits as LibTorch's three operators.
//
// What "the same bits" takes (LibTorch 1.13, aten/src/ATen/native/cpu/batch_norm_kernel.cpp and
// Normalization.cpp, its AVX2 build; its AVX-512 build rounds alike, tails included):
//  - the sums are per channel, row after row in float, one partial sum per thread over the rows
//    at::parallel_for(0, rows, 1) gives that thread, and the partials added in double: so the
//    kernels split the rows exactly as at::parallel_for does, and follow the thread count;
//  - the centred squares, the input gradient's dot product, the normalisation x·α + β, β itself
//    and the input gradient's "dy − mean(dy) − (x − μ)·k" are fused multiply-adds (found by
//    comparing all 32 combinations with the operators: only all-FMA matched, at 1 and 2 threads);
//  - invstd = 1/√(double(var_sum / M) + eps) with var_sum / M in float; the running statistics in
//    float, the variance's new term in double.
// norm_relu.cpp compares the kernels with the operators at first use and keeps the operators
// wherever a LibTorch rounds otherwise (LibTorch 2.x, a CPU without AVX2 and FMA), and
// norm_relu.cpp runs it only under LibTorch's AVX2 and AVX-512 kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "core/norm_relu_kernels.h"

namespace dti::core::exact {

/// Whether the CPU has what the kernels need (AVX2 and FMA) and C is a multiple of 8 up to
/// fused::kMaxChannels.
bool kernels_apply(int64_t C);

struct Statistics {
  std::vector<float> mean;     // [C] batch mean
  std::vector<float> invstd;   // [C] 1/√(biased variance + eps)
  std::vector<float> var_sum;  // [C] Σ(y − mean)²
};

/// Batch statistics of y [M,C] as LibTorch's batch_norm_cpu_collect_stats (channels-last).
Statistics batch_statistics(const float* y, int64_t M, int64_t C, double eps);

/// Running statistics updated in place as LibTorch's batch_norm_cpu_update_stats_template.
void update_running(const Statistics& s, int64_t M, double momentum, float* running_mean,
                    float* running_var);

/// α = invstd·γ and β' = β − μ·α per channel, as LibTorch's normalisation computes them.
void scale_shift(const Statistics& s, const float* weight, const float* bias, float* alpha,
                 float* beta);

/// out = max(y·α + β' (+ residual), 0); residual may be null.
void normalize_relu(const float* y, const float* residual, int64_t M, int64_t C, const float* alpha,
                    const float* beta, float* out);

/// Gradients of y, γ and β (and dz, the residual's, where asked) as LibTorch's ReLU backward
/// (threshold_backward) followed by its batch_norm_cpu_backward (channels-last). args.a and
/// args.b are α and β' (the ReLU's condition is recomputed from y where args.out is null).
void backward(const fused::BackwardArgs& args);

}  // namespace dti::core::exact
