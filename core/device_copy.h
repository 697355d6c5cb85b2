#pragma once
// Host-to-device copies that do not make the host wait. The model draws its random numbers on the
// CPU generator (reproducible and resumable on any device, docs/training.md); copying them to a
// GPU from ordinary (pageable) memory would block every training step until the copy is done.

#include <ATen/ATen.h>

namespace dti::core {

/// `host` (a CPU tensor) on `device`: `host` itself for the CPU; for a GPU the values are staged
/// in page-locked memory and the copy is queued on the current stream without waiting
/// (non_blocking). LibTorch's caching host allocator keeps the staging block until the copy has
/// run, so the caller may drop `host` at once. Values are identical to host.to(device).
at::Tensor host_to_device(const at::Tensor& host, const at::Device& device);

}  // namespace dti::core
