#include "core/transform_modules.h"

#include "base/error.h"

namespace dti::core {
namespace {

// φ(d²) = ½·d²·log d², 0 at d = 0. points [P,2], control [N,2] (float64) -> [P,N].
at::Tensor radial_basis(const at::Tensor& points, const at::Tensor& control) {
  auto diff = points.unsqueeze(1) - control.unsqueeze(0);  // [P,N,2]
  auto d2 = diff.pow(2).sum(2);                            // [P,N]
  auto phi = 0.5 * d2 * at::log(d2);
  return at::where(d2 > 0, phi, at::zeros_like(phi));
}

}  // namespace

TpsGrid::TpsGrid(int64_t height, int64_t width, int64_t grid_size) {
  DTI_CHECK(height > 0 && width > 0 && grid_size >= 2,
            "TpsGrid: expected size > 0 and grid_size >= 2, got ", height, "x", width,
            ", grid_size ", grid_size);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const int64_t N = grid_size * grid_size;
  auto lin = at::linspace(-1, 1, grid_size, f64);
  auto mesh = at::meshgrid({lin, lin}, "ij");                          // y rows, x cols
  auto target = at::stack({mesh[1].flatten(), mesh[0].flatten()}, 1);  // [N,2] (x,y)

  // Kernel [[U, 1, P], [1ᵀ, 0, 0], [Pᵀ, 0, 0]] of size (N+3)×(N+3), inverted in float64.
  auto kernel = at::zeros({N + 3, N + 3}, f64);
  kernel.narrow(0, 0, N).narrow(1, 0, N).copy_(radial_basis(target, target));
  kernel.narrow(0, 0, N).select(1, N).fill_(1);
  kernel.select(0, N).narrow(0, 0, N).fill_(1);
  kernel.narrow(0, 0, N).narrow(1, N + 1, 2).copy_(target);
  kernel.narrow(0, N + 1, 2).narrow(1, 0, N).copy_(target.t());
  auto inverse = at::inverse(kernel);  // [N+3,N+3]

  auto ys = at::linspace(-1, 1, height, f64), xs = at::linspace(-1, 1, width, f64);
  auto out_mesh = at::meshgrid({ys, xs}, "ij");
  auto coords = at::stack({out_mesh[1].flatten(), out_mesh[0].flatten()}, 1);  // [HW,2]
  auto repr = at::cat({radial_basis(coords, target), at::ones({height * width, 1}, f64), coords},
                      1);  // [HW,N+3]
  // The source matrix is [source; 0₃ₓ₂], so only the first N columns of K⁻¹ matter.
  mapping_ = at::matmul(repr, inverse.narrow(1, 0, N)).to(at::kFloat);  // [HW,N]
  target_points_ = target.to(at::kFloat);
}

at::Tensor TpsGrid::grid(const at::Tensor& source_points) const {
  // One [HW,N] × [N,B·2] product rather than B tiny batched ones (slow on the CPU).
  const int64_t B = source_points.size(0), N = source_points.size(1);
  auto points = source_points.permute({1, 0, 2}).reshape({N, B * 2});  // [N,B·2]
  auto grid = at::mm(mapping_, points);                                // [HW,B·2]
  return grid.view({mapping_.size(0), B, 2}).permute({1, 0, 2});       // [B,HW,2]
}

void TpsGrid::to(const at::Device& device) {
  mapping_ = mapping_.to(device);
  target_points_ = target_points_.to(device);
}

TpsTransform::TpsTransform(const TransformOptions& options)
    : options_(options), grid_(options.out_size[0], options.out_size[1], options.grid_size) {}

at::Tensor TpsTransform::apply(const at::Tensor& x, const at::Tensor& beta) const {
  check_transform_args("tps transformation", x, beta, num_parameters());
  const int64_t N = x.size(0);
  auto source = grid_.target_points().unsqueeze(0) + beta.view({N, -1, 2});  // [N,g²,2]
  auto grid = grid_.grid(source).view({N, options_.out_size[0], options_.out_size[1], 2});
  return sample_grid(x, grid, options_.padding, /*align_corners=*/false);
}

}  // namespace dti::core
