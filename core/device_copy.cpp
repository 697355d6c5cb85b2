#include "core/device_copy.h"

namespace dti::core {

at::Tensor host_to_device(const at::Tensor& host, const at::Device& device) {
  if (device.is_cpu()) return host;
  return host.pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace dti::core
