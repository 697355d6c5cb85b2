#include "experiments/run/device_choice.h"

#include <ATen/Context.h>

namespace dti::experiments {

DeviceChoice choose_device(const std::string& requested) {
  if (requested != "auto") return {requested, "as given by --device"};
  // at::hasCUDA() is false for a CPU-only LibTorch and for a CUDA one without a visible GPU.
  if (at::hasCUDA()) return {"cuda", "auto: this LibTorch build has CUDA and a GPU is visible"};
  return {"cpu",
          "auto: no GPU usable (this LibTorch build has no CUDA, or no GPU is visible); "
          "--device cuda asks for one explicitly"};
}

std::string device_header(const DeviceChoice& choice) {
  return "device: " + choice.device + " (" + choice.reason + ")";
}

}  // namespace dti::experiments
