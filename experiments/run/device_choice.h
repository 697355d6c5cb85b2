#pragma once
// `--device auto` (the default of every runexp command): CUDA when this LibTorch build has it
// and a GPU is visible, else the CPU; the choice and its reason are printed in the run header.

#include <string>

namespace dti::experiments {

/// A device named by --device, resolved.
struct DeviceChoice {
  std::string device;  ///< cpu, cuda or cuda:<index>: never "auto".
  std::string reason;  ///< Why, e.g. "auto: no GPU usable ..." or "as given by --device".
};

/// Resolves `requested` ("auto", "cpu", "cuda", "cuda:<i>"): auto becomes cuda when
/// at::hasCUDA() (a CUDA build with a visible GPU), else cpu; other names are returned as given.
DeviceChoice choose_device(const std::string& requested);

/// The values --device accepts, for messages.
inline constexpr const char* kDeviceNames = "auto, cpu, cuda, cuda:<index>";

/// Whether `requested` is one of kDeviceNames (any index after "cuda:").
bool is_device_name(const std::string& requested);

/// The device of a task that runs on another machine (a Slurm node): "auto" is cuda when the
/// task is given GPUs, else cpu; other names are returned as given.
std::string device_for_task(const std::string& requested, int gpus_per_task);

/// The header line of a run: "device: cpu (auto: ...)".
std::string device_header(const DeviceChoice& choice);

}  // namespace dti::experiments
