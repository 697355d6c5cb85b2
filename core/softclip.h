#pragma once
// The soft clamp (docs/model.md#soft-clamp): identity on [0,1], slope `alpha` outside.

#include <ATen/ATen.h>

namespace dti::core {

/// Slope outside [0,1] used by every shipped config ("soft" clamp).
inline constexpr double kSoftClipSlope = 0.01;

/// softclip(x) = clamp(x,0,1) + alpha*min(x,0) + alpha*max(x-1,0); any shape.
at::Tensor softclip(const at::Tensor& x, double alpha = kSoftClipSlope);

/// softclip(a + b·c), a, b and c broadcast against each other: the noisy masks (mask + canvas ·
/// noise) and the colour transformation (bias + scale · x). Where no input needs a gradient, on
/// the CPU in float32, one pass over memory instead of nine LibTorch operators, with the same
/// float32 roundings in the same order, so equal bit for bit (tests/core/softclip_test.cpp);
/// otherwise those operators. The selection pass (no gradient) spends most of its element-wise
/// time here.
at::Tensor softclip_add_mul(const at::Tensor& a, const at::Tensor& b, const at::Tensor& c,
                            double alpha = kSoftClipSlope);

}  // namespace dti::core
