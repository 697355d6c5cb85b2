// Raw-pointer kernels behind norm_relu.h: training-mode BatchNorm statistics, the normalisation
// with an optional residual sum and the ReLU in one pass, and the backward of all three in two
// passes. Channels-last float32 only: M rows (N·H·W) of C contiguous channels.
#pragma once

#include <cstdint>
#include <vector>

namespace dti::core::fused {

/// Channels the kernels take at most (ResNet-18's widest stage).
constexpr int64_t kMaxChannels = 512;

struct Statistics {
  std::vector<float> mean;    // [C]
  std::vector<float> invstd;  // [C] 1/√(var + eps)
  std::vector<double> var;    // [C] biased (divided by M)
};

/// Per-channel batch mean and biased variance of y [M,C].
Statistics batch_statistics(const float* y, int64_t M, int64_t C, double eps);

/// out = max(y·a + b (+ residual), 0) per channel; residual may be null.
void normalize_relu(const float* y, const float* residual, int64_t M, int64_t C, const float* a,
                    const float* b, float* out);

struct BackwardArgs {
  const float* g;       // [M,C] gradient of the output
  const float* y;       // [M,C] BatchNorm's input
  const float* out;     // [M,C] the forward's output, or null: the ReLU's condition from y·a + b
  const float* a;       // [C] γ·invstd
  const float* b;       // [C] β − μ·γ·invstd
  const float* mean;    // [C]
  const float* invstd;  // [C]
  const float* weight;  // [C] γ
  int64_t M = 0, C = 0;
  float* dz = nullptr;  // [M,C] gradient before BatchNorm (the residual's), or null: not kept
  float* dx = nullptr;  // [M,C] gradient of y
  float* grad_weight = nullptr;  // [C]
  float* grad_bias = nullptr;    // [C]
};

/// Gradients of y, γ and β (and of the residual, dz, where asked) in two passes over memory.
void backward(const BackwardArgs& args);

}  // namespace dti::core::fused
