#pragma once
// Initialisers (docs/model.md#sprites-and-backgrounds): constant appearance, Gaussian masks.

#include <ATen/ATen.h>

namespace dti::core {

/// scipy.signal.gaussian window: g(n) = exp(-½((n − (N−1)/2)/std)²), n = 0..N−1, in float64.
at::Tensor gaussian_window(int64_t size, double std);

/// Separable Gaussian weights [channels,H,W] = outer(g_H, g_W), computed in float64 and cast to
/// float32 (for even sizes the peak is below 1, as in the reference).
at::Tensor gaussian_weights(int64_t height, int64_t width, int64_t channels, double std);

}  // namespace dti::core
