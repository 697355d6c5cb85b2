#include "core/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <fstream>
#include <sstream>

#include "base/error.h"

namespace dti::core {
namespace {

// LibTorch 2.4 replaced the per-backend autocast switches by ones taking a device type and
// deprecated the old ones (warnings are errors in CI), so both spellings are kept here.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(at::DeviceType type) { return at::autocast::is_autocast_enabled(type); }
void set_autocast(at::DeviceType type, bool on) { at::autocast::set_autocast_enabled(type, on); }
at::ScalarType autocast_dtype(at::DeviceType type) {
  return at::autocast::get_autocast_dtype(type);
}
void set_autocast_dtype(at::DeviceType type, at::ScalarType dtype) {
  at::autocast::set_autocast_dtype(type, dtype);
}
#else
bool autocast_enabled(at::DeviceType type) {
  return type == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void set_autocast(at::DeviceType type, bool on) {
  if (type == at::kCUDA) {
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_cpu_enabled(on);
  }
}
at::ScalarType autocast_dtype(at::DeviceType type) {
  return type == at::kCUDA ? at::autocast::get_autocast_gpu_dtype()
                           : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast_dtype(at::DeviceType type, at::ScalarType dtype) {
  if (type == at::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif

}  // namespace

bool autocast_active(at::DeviceType device) { return autocast_enabled(device); }

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "tf32") return Precision::kTf32;
  if (name == "bf16") return Precision::kBf16;
  throw Error("precision: unknown value '" + name + "'; valid: fp32, tf32, bf16");
}

std::string precision_name(Precision precision) {
  switch (precision) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kTf32:
      return "tf32";
    case Precision::kBf16:
      return "bf16";
  }
  return "fp32";
}

bool cpu_has_bf16() {
  static const bool has = [] {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream words(line);
      for (std::string flag; words >> flag;) {
        if (flag == "avx512_bf16" || flag == "amx_bf16") return true;
      }
      return false;  // every core lists the same flags
    }
    return false;
  }();
  return has;
}

std::string precision_warning(Precision precision, const at::Device& device) {
  if (precision != Precision::kBf16 || !device.is_cpu() || cpu_has_bf16()) return "";
  // Measured on an AVX2-only AMD EPYC (Zen 3) with Debian's LibTorch 1.13: a whole step 18-20
  // times slower than fp32 (no oneDNN convolution runs in bfloat16 there).
  return "warning: training.precision bf16 on a CPU without AVX512-BF16 or AMX-BF16 (no such "
         "flag in /proc/cpuinfo): bfloat16 is emulated here, and a training step measured 18-20 "
         "times slower than fp32 on such a CPU; train in fp32 "
         "(docs/performance.md#bfloat16-on-the-cpu)";
}

void apply_matmul_precision(Precision precision) {
  const bool tf32 = precision == Precision::kTf32;
  at::globalContext().setAllowTF32CuBLAS(tf32);
  at::globalContext().setAllowTF32CuDNN(tf32);
}

AutocastScope::AutocastScope(Precision precision, at::Device device) {
  if (precision != Precision::kBf16) return;
  DTI_CHECK(device.is_cpu() || device.is_cuda(), "precision bf16 needs a CPU or CUDA device, got ",
            device.str());
  active_ = true;
  device_type_ = device.type();
  was_enabled_ = autocast_enabled(device_type_);
  was_dtype_ = autocast_dtype(device_type_);
  set_autocast_dtype(device_type_, at::kBFloat16);
  set_autocast(device_type_, true);
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  set_autocast(device_type_, was_enabled_);
  set_autocast_dtype(device_type_, was_dtype_);
  // Autocast caches the bfloat16 copies of parameters; the optimiser changes them every step.
  at::autocast::clear_cache();
}

}  // namespace dti::core
