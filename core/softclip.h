#pragma once
// The soft clamp (docs/model.md#soft-clamp): identity on [0,1], slope `alpha` outside.

#include <ATen/ATen.h>

namespace dti::core {

/// Slope outside [0,1] used by every shipped config ("soft" clamp).
inline constexpr double kSoftClipSlope = 0.01;

/// softclip(x) = clamp(x,0,1) + alpha*min(x,0) + alpha*max(x-1,0); any shape.
at::Tensor softclip(const at::Tensor& x, double alpha = kSoftClipSlope);

}  // namespace dti::core
