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

/// The header line of a run: "device: cpu (auto: ...)".
std::string device_header(const DeviceChoice& choice);

}  // namespace dti::experiments
