#pragma once
// Image encoders (docs/model.md): CIFAR ResNet-20/32 (parameter-free option-A shortcuts) and the
// ImageNet ResNet-18 without classifier, each followed by adaptive average pooling to a grid.

#include <ATen/ATen.h>

#include <array>
#include <string>
#include <vector>

#include "core/names.h"
#include "core/parameters.h"

namespace dti::core {

/// Encoder architecture (the authors' `encoder_name`); names: resnet18, resnet20, resnet32.
enum class EncoderKind {
  kResNet18,  ///< ImageNet ResNet-18 without classifier (3 input channels).
  kResNet20,  ///< CIFAR ResNet-20.
  kResNet32,  ///< CIFAR ResNet-32.
};

/// Name table, in enum order.
template <>
const std::vector<std::string>& names_of<EncoderKind>();

/// Encoder settings (keys mirror the authors' `encoder_name` and `with_pool`).
struct EncoderOptions {
  /// Architecture.
  EncoderKind kind = EncoderKind::kResNet32;
  /// Input channels (ResNet-18 requires 3).
  int64_t in_channels = 3;
  /// Adaptive average pooling grid {h, w}; {0,0} means no pooling (flatten the map).
  std::array<int64_t, 2> pool{1, 1};
  /// CPU training: BatchNorm, the residual sum and ReLU as one node (norm_relu.h; the same
  /// mathematics summed in another order, a named option). False: LibTorch's operators.
  bool fused_norm = false;
  /// Throws dti::Error naming the field when a value is invalid.
  void validate() const;
};

/// Option-A shortcut (He et al. 2016): x[:, :, ::2, ::2] with `pad` zero channels on each side.
/// On the CPU its gradient comes back in x's layout (LibTorch's slice and pad give the default
/// one), so that the BatchNorm before it sees a channels-last gradient; the same values.
at::Tensor subsample_pad(const at::Tensor& x, int64_t pad);

/// Adaptive average pooling of the map to `grid` ({0, 0}: none), then flatten(1). On the CPU the
/// gradient is LibTorch's, returned in the map's layout (a 1×1 grid is a mean, whose backward
/// spreads the gradient in the default layout).
at::Tensor pool_flatten(const at::Tensor& map, std::array<int64_t, 2> grid);

/// A ResNet encoder x [B,C,H,W] -> features [B,D], D = channels·pool_h·pool_w.
class Encoder {
 public:
  /// Builds the network with the reference initialisation (Kaiming normal convolutions:
  /// fan_in for CIFAR ResNets, fan_out for ResNet-18; BatchNorm weight 1, bias 0).
  Encoder(const EncoderOptions& options, at::Generator generator);

  /// Features [B,D], channel-major (c·ph·pw + i·pw + j). In training mode BatchNorm uses batch
  /// statistics and updates its running statistics (momentum 0.1).
  at::Tensor forward(const at::Tensor& x, bool training);

  /// Feature size D for an H×W input.
  int64_t out_features(int64_t height, int64_t width) const;
  /// Channels × height × width of the map before pooling for an H×W input.
  std::array<int64_t, 3> map_shape(int64_t height, int64_t width) const;

  /// Learnable tensors (convolution and BatchNorm weights), named.
  std::vector<NamedTensor> parameters() const;
  /// BatchNorm running statistics and batch counters, named.
  std::vector<NamedTensor> buffers() const;
  /// Moves parameters and buffers to `device`.
  void to(const at::Device& device);
  /// Number of convolution and BatchNorm layers, for the encoders.h5 facts.
  int64_t num_convolutions() const { return static_cast<int64_t>(convs_.size()); }
  int64_t num_batchnorms() const { return static_cast<int64_t>(norms_.size()); }

 private:
  struct Conv {
    std::string name;
    at::Tensor weight;  // [out,in,k,k]
    int64_t stride, padding;
  };
  struct Norm {
    std::string name;
    at::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  };
  struct Block {
    int64_t conv1, norm1, conv2, norm2;      // indices into convs_/norms_
    int64_t down_conv = -1, down_norm = -1;  // option-B shortcut (ResNet-18)
    int64_t stride, in_planes, planes;
  };

  int64_t add_conv(const std::string& name, int64_t in, int64_t out, int64_t k, int64_t stride,
                   int64_t padding, bool fan_out, at::Generator& gen);
  int64_t add_norm(const std::string& name, int64_t channels);
  at::Tensor conv(const at::Tensor& x, int64_t i) const;
  // Norm i, its batch counter advanced (training mode counts every batch, as torch.nn does).
  Norm& count_batch(int64_t i);
  at::Tensor norm(const at::Tensor& x, int64_t i, bool training);
  // relu(norm(x) + residual), residual optional: one fused node in CPU training (norm_relu.h).
  at::Tensor norm_relu(const at::Tensor& x, int64_t i, bool training, const at::Tensor& residual);
  at::Tensor block(const at::Tensor& x, const Block& b, bool training);

  EncoderOptions options_;
  bool cifar_ = true;
  std::vector<Conv> convs_;
  std::vector<Norm> norms_;
  std::vector<Block> blocks_;
  int64_t out_channels_ = 0;
};

}  // namespace dti::core
