#include "core/softclip.h"

namespace dti::core {

at::Tensor softclip(const at::Tensor& x, double alpha) {
  // Written with clamp_max/clamp_min so the gradient is exactly 1 inside (0,1) and alpha outside,
  // as the reference's torch.min/torch.max formulation gives.
  return x.clamp(0, 1) + alpha * x.clamp_max(0) + alpha * (x - 1).clamp_min(0);
}

}  // namespace dti::core
