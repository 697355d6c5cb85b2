#include "core/transform_modules.h"

namespace dti::core {

ProjectiveTransform::ProjectiveTransform(const TransformOptions& options) : options_(options) {}

at::Tensor ProjectiveTransform::apply(const at::Tensor& x, const at::Tensor& beta) const {
  check_transform_args("projective transformation", x, beta, 9);
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  auto homography = beta.view({N, 3, 3}) + at::eye(3, beta.options()).unsqueeze(0);  // [N,3,3]
  // Output coordinates on linspace(−1,1): ±1 are the centres of the corner pixels.
  auto ys = at::linspace(-1, 1, H, beta.options());
  auto xs = at::linspace(-1, 1, W, beta.options());
  auto mesh = at::meshgrid({ys, xs}, "ij");                                     // 2 × [H,W]
  auto points = at::stack({mesh[1], mesh[0], at::ones({H, W}, beta.options())}, -1)
                    .view({1, H * W, 3});                                       // [1,HW,3]
  auto mapped = at::matmul(points, homography.transpose(1, 2));                 // [N,HW,3]
  auto w = mapped.narrow(2, 2, 1);                                              // [N,HW,1]
  // Homogeneous division, skipped where |w| ≤ 1e-8 (kornia's convert_points_from_homogeneous);
  // the safe denominator keeps NaN out of the gradient of the branch not taken.
  auto divide = w.abs() > 1e-8;
  auto safe_w = at::where(divide, w, at::ones_like(w));
  auto scale = at::where(divide, 1 / safe_w, at::ones_like(w));
  auto grid = (mapped.narrow(2, 0, 2) * scale).view({N, H, W, 2});              // [N,H,W,2]
  return sample_grid(x, grid, options_.padding, /*align_corners=*/true);
}

}  // namespace dti::core
