#pragma once
// Arithmetic precision of training (a named deviation, off by default: docs/deviations.md).
//
// The paper's numbers were made in float32. TF32 (CUDA matmuls and convolutions on Ampere and
// later with a 10-bit mantissa) and bfloat16 autocast trade precision for speed on GPUs; they are
// options a researcher chooses knowingly and that are recorded with the run.
#include <ATen/ATen.h>

#include <string>

namespace dti::core {

/// training.precision.
enum class Precision {
  kFp32,  ///< float32 everywhere (the paper's setting, default).
  kTf32,  ///< float32 storage, TF32 tensor cores for CUDA matmuls/convolutions.
  kBf16,  ///< bfloat16 autocast of the training forward pass; parameters and Adam stay float32.
};

/// Parses "fp32" / "tf32" / "bf16"; other names raise dti::Error listing them.
Precision parse_precision(const std::string& name);
/// The name parse_precision() reads.
std::string precision_name(Precision precision);

/// Whether this CPU has bfloat16 arithmetic (the avx512_bf16 or amx_bf16 flag in /proc/cpuinfo),
/// which oneDNN's bfloat16 convolutions and matmuls need to be faster than float32.
bool cpu_has_bf16();

/// A warning for a run about to train in `precision` on `device`, or "": bf16 on a CPU without
/// bfloat16 arithmetic (LibTorch then emulates it, slower than fp32; docs/performance.md).
std::string precision_warning(Precision precision, const at::Device& device);

/// Sets the process-wide TF32 switches of cuBLAS and cuDNN: on for kTf32, off otherwise (also
/// off for fp32, since recent LibTorch versions may default cuDNN convolutions to TF32).
void apply_matmul_precision(Precision precision);

/// Whether autocast is on for `device`'s type in this thread (kernels that bypass LibTorch's
/// operators must then leave the work to them).
bool autocast_active(at::DeviceType device);

/// While alive, runs eligible operators on `device` in bfloat16 (autocast) when `precision` is
/// kBf16; does nothing otherwise. Backward runs outside it, as autocast expects.
class AutocastScope {
 public:
  AutocastScope(Precision precision, at::Device device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  at::DeviceType device_type_ = at::kCPU;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

}  // namespace dti::core
