#pragma once
// Concrete transformation modules (docs/model.md#modules). Use make_transform() rather than these.

#include "core/transform.h"

namespace dti::core {

/// `identity` (P = 0): returns its input.
class IdentityTransform final : public TransformModule {
 public:
  TransformKind kind() const override { return TransformKind::kIdentity; }
  int64_t num_parameters() const override { return 0; }
  at::Tensor apply(const at::Tensor& x, const at::Tensor& beta) const override { return x; }
};

/// `color` (P = 2C, interleaved w0,b0,w1,b1,...): channel c -> softclip((1 + w_c)·x_c + b_c);
/// channels beyond C (mask, noise canvas) pass through.
class ColorTransform final : public TransformModule {
 public:
  explicit ColorTransform(const TransformOptions& options);
  TransformKind kind() const override { return TransformKind::kColor; }
  int64_t num_parameters() const override { return 2 * color_channels_; }
  at::Tensor apply(const at::Tensor& x, const at::Tensor& beta) const override;
  at::Tensor apply_grouped(const at::Tensor& x, const at::Tensor& beta,
                           int64_t groups) const override;

 private:
  int64_t color_channels_;
};

/// `position` (s,tx,ty: [[e^s+1,0,tx],[0,e^s+1,ty]]), `similarity` (a,b,tx,ty:
/// [[1+a,−b,tx],[b,1+a,ty]]) and `affine` (identity 2×3 + beta): affine_grid at the output size
/// and bilinear grid_sample, both with align_corners = false.
class AffineFamilyTransform final : public TransformModule {
 public:
  AffineFamilyTransform(TransformKind kind, const TransformOptions& options);
  TransformKind kind() const override { return kind_; }
  int64_t num_parameters() const override;
  at::Tensor apply(const at::Tensor& x, const at::Tensor& beta) const override;
  /// The 2×3 matrices θ [N,2,3] for raw parameters beta [N,P].
  at::Tensor theta(const at::Tensor& beta) const;

 private:
  TransformKind kind_;
  TransformOptions options_;
};

/// `projective` (P = 9): homography I₃ + beta on output coordinates taken on linspace(−1,1),
/// homogeneous division skipped when |w| ≤ 1e-8, sampled with align_corners = true; the output
/// keeps the input's size (kornia 0.3.0 homography_warp, as the reference uses it).
class ProjectiveTransform final : public TransformModule {
 public:
  explicit ProjectiveTransform(const TransformOptions& options);
  TransformKind kind() const override { return TransformKind::kProjective; }
  int64_t num_parameters() const override { return 9; }
  at::Tensor apply(const at::Tensor& x, const at::Tensor& beta) const override;

 private:
  TransformOptions options_;
};

/// `tps` (P = 2g²): thin-plate spline with source points = target grid + beta, sampled with
/// align_corners = false (so beta = 0 shrinks by about (W−1)/W, as in the reference).
class TpsTransform final : public TransformModule {
 public:
  explicit TpsTransform(const TransformOptions& options);
  TransformKind kind() const override { return TransformKind::kTps; }
  int64_t num_parameters() const override { return 2 * options_.grid_size * options_.grid_size; }
  at::Tensor apply(const at::Tensor& x, const at::Tensor& beta) const override;
  void to(const at::Device& device) override { grid_.to(device); }

 private:
  TransformOptions options_;
  TpsGrid grid_;
};

/// `morphological` (P = 1 + k²): soft max/min filter Σ x e^{αx} σ(w) / Σ e^{αx} σ(w) over the
/// k×k neighbourhood with zero padding; identity offset α = 0, centre +5, others −5.
class MorphologicalTransform final : public TransformModule {
 public:
  explicit MorphologicalTransform(const TransformOptions& options);
  TransformKind kind() const override { return TransformKind::kMorphological; }
  int64_t num_parameters() const override { return 1 + kernel_size_ * kernel_size_; }
  at::Tensor apply(const at::Tensor& x, const at::Tensor& beta) const override;

 private:
  int64_t kernel_size_;
};

/// affine_grid(θ [N,2,3], size, align_corners = false) -> [N,H,W,2] (x, y).
at::Tensor affine_grid(const at::Tensor& theta, int64_t height, int64_t width);

/// Grid sampling shared by the spatial modules: bilinear, the given padding and alignment.
/// On the CPU in float32 with zero padding, an output larger than its input (a sprite on the
/// canvas) is sampled by sample_grid_cropped, or sample_grid_rows where a gradient is recorded;
/// any other output by bilinear_sample (core/bilinear_kernel.h), with LibTorch's backward where
/// a gradient is recorded. Equal bit for bit to at::grid_sampler.
at::Tensor sample_grid(const at::Tensor& x, const at::Tensor& grid, PaddingMode padding,
                       bool align_corners);

/// Bilinear sampling with zero padding (x [N,C,h,w] float32 on the CPU, grid [N,H,W,2]) that
/// computes only each image's box of pixels with a neighbour inside the input, through
/// LibTorch's own kernel, and writes zeros elsewhere: equal bit for bit to at::grid_sampler
/// (tests/core/sample_grid_test.cpp). Where the boxes cover more than `max_share` of the
/// output, at::grid_sampler itself. No gradient.
at::Tensor sample_grid_cropped(const at::Tensor& x, const at::Tensor& grid, bool align_corners,
                               double max_share);

/// The same with a gradient, on whole rows (the box's first row moved up to a multiple of 16
/// pixels of the plane): output, input gradient and grid gradient all equal LibTorch's bit for
/// bit, its backward summing each input pixel's gradient in the same order.
at::Tensor sample_grid_rows(const at::Tensor& x, const at::Tensor& grid, bool align_corners,
                            double max_share);

/// Checks the common argument shapes of a module: x [N,C,h,w], beta [N,P].
void check_transform_args(const char* module, const at::Tensor& x, const at::Tensor& beta,
                          int64_t P);

}  // namespace dti::core
