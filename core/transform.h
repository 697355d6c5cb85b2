#pragma once
// Transformation modules, each behind one interface (docs/model.md). A module maps images
// x [N,Cin,h,w] with its raw predicted parameters beta [N,P] to [N,Cin,H',W']; the identity
// offset is added inside the module, so beta = 0 gives the documented starting transform.

#include <ATen/ATen.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace dti::core {

/// The kinds of transformation module.
enum class TransformKind {
  kIdentity,
  kColor,
  kPosition,
  kSimilarity,
  kAffine,
  kProjective,
  kTps,
  kMorphological
};

/// Canonical name of a kind ("color", "tps", ...).
std::string to_string(TransformKind kind);

/// Parses one module name; accepts the reference's aliases (id, col, pos, sim, aff, proj,
/// homography, thinplatespline, morpho). Unknown names raise dti::Error listing the valid ones.
TransformKind parse_transform_kind(const std::string& name);

/// Parses a sequence name such as "color_projective_tps" into its kinds, in order.
std::vector<TransformKind> parse_transform_sequence(const std::string& name);

/// Whether a kind resamples pixels with grid_sample (position, similarity, affine, projective,
/// tps).
bool is_spatial(TransformKind kind);

/// Padding of spatial modules outside the input: zeros (sprites) or border (backgrounds).
enum class PaddingMode { kZeros, kBorder };

/// Construction settings of a module.
struct TransformOptions {
  /// Output size {H, W} of position/similarity/affine/tps; projective keeps its input size.
  std::array<int64_t, 2> out_size{0, 0};
  /// Sampling outside the input.
  PaddingMode padding = PaddingMode::kZeros;
  /// Channels the colour module transforms; further channels (mask, canvas) pass through.
  int64_t color_channels = 3;
  /// TPS control grid is grid_size × grid_size.
  int64_t grid_size = 4;
  /// Morphological kernel is kernel_size × kernel_size.
  int64_t kernel_size = 3;
};

/// One transformation module.
class TransformModule {
 public:
  virtual ~TransformModule() = default;
  /// The module's kind.
  virtual TransformKind kind() const = 0;
  /// Number P of predicted parameters.
  virtual int64_t num_parameters() const = 0;
  /// Applies the module: x [N,Cin,h,w], beta [N,P] -> [N,Cin,H',W']. Differentiable.
  virtual at::Tensor apply(const at::Tensor& x, const at::Tensor& beta) const = 0;
  /// Applies the module to G images stacked along channels, x [N,G·C,h,w], all with the same
  /// parameters beta [N,P]. Modules that treat channels alike (all but colour) just apply().
  virtual at::Tensor apply_grouped(const at::Tensor& x, const at::Tensor& beta,
                                   int64_t groups) const {
    return apply(x, beta);
  }
  /// Moves precomputed buffers (TPS matrices) to `device`.
  virtual void to(const at::Device& device) {}
};

/// Creates a module of `kind` with `options` (validated: spatial modules need an output size).
std::unique_ptr<TransformModule> make_transform(TransformKind kind,
                                                const TransformOptions& options);

/// Thin-plate-spline sampling grid of the reference TPSGrid: for output locations on
/// linspace(−1,1) (H×W) and a g×g target grid, grid = repr · K⁻¹ · [source; 0].
/// source_points [B,g²,2] (x,y) -> grid [B,H·W,2] (x,y). K⁻¹ is computed in float64.
class TpsGrid {
 public:
  /// Precomputes the kernel inverse and the output representation for an H×W output.
  TpsGrid(int64_t height, int64_t width, int64_t grid_size);
  /// Target control points [g²,2], row by row: point i·g+j has x = lin[j], y = lin[i].
  const at::Tensor& target_points() const { return target_points_; }
  /// The sampling grid for `source_points` [B,g²,2] -> [B,H·W,2].
  at::Tensor grid(const at::Tensor& source_points) const;
  /// Moves the precomputed matrices to `device`.
  void to(const at::Device& device);

 private:
  at::Tensor target_points_;  // [g²,2]
  at::Tensor mapping_;        // [H·W, g²]: repr · K⁻¹[:, :g²], so grid = mapping · source
};

}  // namespace dti::core
