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

bool is_device_name(const std::string& requested) {
  return requested == "auto" || requested == "cpu" || requested == "cuda" ||
         requested.rfind("cuda:", 0) == 0;
}

std::string device_for_task(const std::string& requested, int gpus_per_task) {
  if (requested != "auto") return requested;
  return gpus_per_task > 0 ? "cuda" : "cpu";
}

std::string device_header(const DeviceChoice& choice) {
  return "device: " + choice.device + " (" + choice.reason + ")";
}

}  // namespace dti::experiments
