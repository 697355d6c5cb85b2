#pragma once
// Named tensors: how modules expose their parameters and buffers to the optimiser and to
// checkpoints.

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace dti::core {

/// A tensor with a stable, dotted name ("encoder.layer1.0.conv1.weight").
struct NamedTensor {
  std::string name;   ///< Stable name used in checkpoints.
  at::Tensor tensor;  ///< The tensor itself (a handle: in-place updates reach the module).
};

/// A learnable tensor, created on `device` with requires_grad set.
inline at::Tensor make_parameter(at::Tensor value) {
  return value.detach().contiguous().requires_grad_(true);
}

/// Moves a parameter to `device`, keeping it a leaf that requires grad.
inline void move_parameter(at::Tensor& t, const at::Device& device) {
  if (t.defined() && t.device() != device) t = t.detach().to(device).requires_grad_(true);
}

/// Moves a buffer (no gradient) to `device`.
inline void move_buffer(at::Tensor& t, const at::Device& device) {
  if (t.defined() && t.device() != device) t = t.to(device);
}

}  // namespace dti::core
