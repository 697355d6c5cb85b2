// Training-mode BatchNorm, an optional residual sum and ReLU as one autograd node on the CPU: the
// ResNet encoders' "conv → BN → ReLU" and "conv → BN → + shortcut → ReLU" (He et al. 2016). The
// same mathematics as LibTorch's three operators, in fewer passes over memory (forward: the two
// statistics passes and one write instead of three more read-write passes; backward: two passes
// instead of four), which is what these memory-bound operators cost on small images. Two
// arithmetics: LibTorch 1.13's own roundings (the default) or the `encoder_norm: fused` deviation.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace dti::core {

/// BatchNorm's learnable parameters and running statistics (updated in place in training mode).
struct NormParameters {
  at::Tensor weight, bias, running_mean, running_var;
  double momentum = 0.1, eps = 1e-5;
};

/// Whether the fused kernels take y: a CPU float32 4-d channels-last tensor of at most 512
/// channels.
bool fused_norm_relu_applies(const at::Tensor& y);

/// relu(batch_norm(y) + residual) in training mode, residual optional (undefined: none). With
/// `fused` and where fused_norm_relu_applies(y), one node that sums in another order than
/// LibTorch: equal up to float32 rounding, which, like another thread count, moves a training
/// trajectory's BatchNorm parameters apart over the steps (hence a named option, off by default).
/// Without `fused`, LibTorch's batch_norm, add_ and relu_ (the authors' operators): computed by
/// one node with their exact roundings (norm_relu_exact.h) where that node matched them bit for
/// bit at first use, by the operators themselves elsewhere.
at::Tensor norm_relu(const at::Tensor& y, const at::Tensor& residual, const NormParameters& norm,
                     bool fused);

/// LibTorch's batch_norm (training mode), add_ and relu_ themselves: what norm_relu without
/// `fused` computes, by the operators whatever the CPU (dti_bench's reference path).
at::Tensor operators_norm_relu(const at::Tensor& y, const at::Tensor& residual,
                               const NormParameters& n);

/// Whether norm_relu without `fused` runs the exact node (see above): LibTorch runs its AVX2 or
/// AVX-512 kernels (libtorch_cpu_capability(); the node's roundings are those of LibTorch 1.13's
/// AVX2 and AVX-512 builds), the node matched LibTorch's operators at first use, and
/// DTI_EXACT_NORM is not "0".
bool exact_norm_relu_active();

/// The instruction set of LibTorch's own CPU kernels as its configuration summary names it:
/// "AVX2", "AVX512" (on CPUs with AVX-512), "NO AVX", ...; ATEN_CPU_CAPABILITY chooses it.
std::string libtorch_cpu_capability();

/// Allows (the default, unless DTI_EXACT_NORM=0) or forbids the exact node: for measuring it
/// against LibTorch's operators in one process (dti_bench's BM_TrainStepNormAB).
void set_exact_norm_relu(bool allowed);

/// The exact node whatever the check at first use found (where its kernels apply; LibTorch's
/// operators elsewhere): for the tests that hold it to LibTorch's operators.
at::Tensor exact_norm_relu(const at::Tensor& y, const at::Tensor& residual,
                           const NormParameters& n);

}  // namespace dti::core
