#include "core/transform_modules.h"

#include "base/error.h"

namespace dti::core {

MorphologicalTransform::MorphologicalTransform(const TransformOptions& options)
    : kernel_size_(options.kernel_size) {
  DTI_CHECK(kernel_size_ >= 1 && kernel_size_ % 2 == 1,
            "morphological transformation: kernel_size must be odd and >= 1, got ", kernel_size_);
}

at::Tensor MorphologicalTransform::apply(const at::Tensor& x, const at::Tensor& beta) const {
  check_transform_args("morphological transformation", x, beta, num_parameters());
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t k = kernel_size_, k2 = k * k, pad = k / 2;
  auto offset = at::full({1 + k2}, -5.0, beta.options());
  offset[0] = 0;
  offset[1 + k2 / 2] = 5;
  auto params = beta + offset;                                             // [N,1+k²]
  auto alpha = params.narrow(1, 0, 1).view({N, 1, 1, 1});                  // [N,1,1,1]
  auto kernel = at::sigmoid(params.narrow(1, 1, k2)).view({N, 1, k2, 1});  // [N,1,k²,1]
  // Every channel of an item uses the item's α and kernel (the reference only supports C == 1
  // or N == 1; this is the same formula for any shape).
  auto patches = at::im2col(x, {k, k}, {1, 1}, {pad, pad}, {1, 1}).view({N, C, k2, H * W});
  auto weights = at::exp(alpha * patches) * kernel;        // [N,C,k²,HW]
  auto out = (patches * weights).sum(2) / weights.sum(2);  // [N,C,HW]
  return out.view({N, C, H, W});
}

}  // namespace dti::core
