#include "core/encoder.h"

#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

#include "base/error.h"
#include "core/norm_relu.h"
#include "core/shapes.h"

namespace dti::core {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Layout-only autograd nodes for the CPU's channels-last encoder (encoder.h: subsample_pad,
// pool_flatten). Without them, the last BatchNorm of each stage and of the network got its
// gradient in the default layout, where the exact node hands over to LibTorch's BatchNorm
// backward, ReLU backward and a mixed-layout sum: GTSRB-8's encoder step took 232 ms, now 225
// (BM_EncoderStep/2 on a Zen 4, medians of 4 alternating runs), with the same bits.

// x[:, :, ::2, ::2] with `pad` zero channels on each side (He et al. 2016, option A).
struct SubsamplePad : public torch::autograd::Function<SubsamplePad> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, int64_t pad) {
    ctx->saved_data["sizes"] = x.sizes().vec();
    ctx->saved_data["pad"] = pad;
    auto sub = x.slice(2, 0, c10::nullopt, 2).slice(3, 0, c10::nullopt, 2);
    // (at::zeros drops a memory format given in its options: empty, then zero.)
    auto out = at::empty({sub.size(0), sub.size(1) + 2 * pad, sub.size(2), sub.size(3)},
                         x.options(), x.suggest_memory_format())
                   .zero_();
    out.narrow(1, pad, sub.size(1)).copy_(sub);
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto sizes = ctx->saved_data["sizes"].toIntVector();
    const int64_t pad = ctx->saved_data["pad"].toInt();
    const auto& g = grads[0];
    auto dx = at::empty(sizes, g.options(), g.suggest_memory_format()).zero_();
    dx.slice(2, 0, c10::nullopt, 2).slice(3, 0, c10::nullopt, 2).copy_(g.narrow(1, pad, sizes[1]));
    return {dx, at::Tensor()};
  }
};

// The map's average pooling to a grid (none for {0, 0}) and flatten(1); the gradient is LibTorch's
// (the two operators' backward, recomputed) returned in the map's layout. (A 1x1 grid is a mean,
// whose backward spreads the gradient in the default layout.)
struct PoolFlatten : public torch::autograd::Function<PoolFlatten> {
  static at::Tensor pool_flatten(const at::Tensor& x, const std::vector<int64_t>& grid) {
    return (grid[0] > 0 ? at::adaptive_avg_pool2d(x, grid) : x).flatten(1);
  }
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x,
                            const std::vector<int64_t>& grid) {
    ctx->save_for_backward({x});
    ctx->saved_data["grid"] = grid;
    return pool_flatten(x, grid);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    at::Tensor dx;
    {
      at::AutoGradMode grad_mode(true);
      auto y = pool_flatten(x, ctx->saved_data["grid"].toIntVector());
      dx = torch::autograd::grad({y}, {x}, {grads[0]})[0];
    }
    return {dx.contiguous(x.suggest_memory_format()), at::Tensor()};
  }
};

}  // namespace

at::Tensor subsample_pad(const at::Tensor& x, int64_t pad) {
  if (x.is_cpu()) return SubsamplePad::apply(x, pad);
  auto sub = x.slice(2, 0, c10::nullopt, 2).slice(3, 0, c10::nullopt, 2);
  return at::constant_pad_nd(sub, {0, 0, 0, 0, pad, pad}, 0);
}

at::Tensor pool_flatten(const at::Tensor& map, std::array<int64_t, 2> grid) {
  const std::vector<int64_t> g{grid[0], grid[1]};
  return map.is_cpu() ? PoolFlatten::apply(map, g) : PoolFlatten::pool_flatten(map, g);
}

template <>
const std::vector<std::string>& names_of<EncoderKind>() {
  static const std::vector<std::string> names = {"resnet18", "resnet20", "resnet32"};
  return names;
}

void EncoderOptions::validate() const {
  DTI_CHECK(in_channels > 0, "encoder in_channels must be > 0, got ", in_channels);
  DTI_CHECK(kind != EncoderKind::kResNet18 || in_channels == 3,
            "encoder resnet18 takes 3 input channels (its conv1 is fixed), got ", in_channels);
  DTI_CHECK((pool[0] == 0 && pool[1] == 0) || (pool[0] > 0 && pool[1] > 0),
            "with_pool: expected a positive grid such as [4, 4] (or false), got [", pool[0], ", ",
            pool[1], "]");
}

Encoder::Encoder(const EncoderOptions& options, at::Generator generator) : options_(options) {
  options_.validate();
  cifar_ = options.kind != EncoderKind::kResNet18;
  if (cifar_) {
    // CIFAR ResNet (He et al. 2016, option A): 3×3 conv to 16, three stages of n blocks.
    const int64_t n = options.kind == EncoderKind::kResNet20 ? 3 : 5;
    add_conv("conv1", options.in_channels, 16, 3, 1, 1, false, generator);
    add_norm("bn1", 16);
    int64_t in_planes = 16;
    const int64_t planes[3] = {16, 32, 64}, strides[3] = {1, 2, 2};
    for (int s = 0; s < 3; ++s) {
      for (int64_t i = 0; i < n; ++i) {
        const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(i) + ".";
        Block b;
        b.stride = i == 0 ? strides[s] : 1;
        b.in_planes = in_planes;
        b.planes = planes[s];
        b.conv1 = add_conv(p + "conv1", in_planes, planes[s], 3, b.stride, 1, false, generator);
        b.norm1 = add_norm(p + "bn1", planes[s]);
        b.conv2 = add_conv(p + "conv2", planes[s], planes[s], 3, 1, 1, false, generator);
        b.norm2 = add_norm(p + "bn2", planes[s]);
        blocks_.push_back(b);
        in_planes = planes[s];
      }
    }
    out_channels_ = 64;
  } else {
    // torchvision ResNet-18 up to layer4 (no avgpool/fc), option-B downsampling shortcuts.
    add_conv("conv1", 3, 64, 7, 2, 3, true, generator);
    add_norm("bn1", 64);
    int64_t in_planes = 64;
    const int64_t planes[4] = {64, 128, 256, 512}, strides[4] = {1, 2, 2, 2};
    for (int s = 0; s < 4; ++s) {
      for (int64_t i = 0; i < 2; ++i) {
        const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(i) + ".";
        Block b;
        b.stride = i == 0 ? strides[s] : 1;
        b.in_planes = in_planes;
        b.planes = planes[s];
        b.conv1 = add_conv(p + "conv1", in_planes, planes[s], 3, b.stride, 1, true, generator);
        b.norm1 = add_norm(p + "bn1", planes[s]);
        b.conv2 = add_conv(p + "conv2", planes[s], planes[s], 3, 1, 1, true, generator);
        b.norm2 = add_norm(p + "bn2", planes[s]);
        if (b.stride != 1 || in_planes != planes[s]) {
          b.down_conv =
              add_conv(p + "downsample.0", in_planes, planes[s], 1, b.stride, 0, true, generator);
          b.down_norm = add_norm(p + "downsample.1", planes[s]);
        }
        blocks_.push_back(b);
        in_planes = planes[s];
      }
    }
    out_channels_ = 512;
  }
}

int64_t Encoder::add_conv(const std::string& name, int64_t in, int64_t out, int64_t k,
                          int64_t stride, int64_t padding, bool fan_out, at::Generator& gen) {
  // kaiming_normal_ with gain √2: std = √2/√fan, fan = in·k² (fan_in) or out·k² (fan_out).
  const double fan = static_cast<double>((fan_out ? out : in) * k * k);
  auto w = at::empty({out, in, k, k}, at::kFloat).normal_(0.0, std::sqrt(2.0 / fan), gen);
  convs_.push_back({name, make_parameter(w), stride, padding});
  return static_cast<int64_t>(convs_.size()) - 1;
}

int64_t Encoder::add_norm(const std::string& name, int64_t channels) {
  Norm n;
  n.name = name;
  n.weight = make_parameter(at::ones({channels}));
  n.bias = make_parameter(at::zeros({channels}));
  n.running_mean = at::zeros({channels});
  n.running_var = at::ones({channels});
  n.num_batches_tracked = at::zeros({}, at::kLong);
  norms_.push_back(n);
  return static_cast<int64_t>(norms_.size()) - 1;
}

at::Tensor Encoder::conv(const at::Tensor& x, int64_t i) const {
  const Conv& c = convs_[static_cast<size_t>(i)];
  return at::conv2d(x, c.weight, {}, c.stride, c.padding);
}

Encoder::Norm& Encoder::count_batch(int64_t i) {
  Norm& n = norms_[static_cast<size_t>(i)];
  c10::NoGradGuard no_grad;
  n.num_batches_tracked.add_(1);
  return n;
}

at::Tensor Encoder::norm(const at::Tensor& x, int64_t i, bool training) {
  Norm& n = training ? count_batch(i) : norms_[static_cast<size_t>(i)];
  return at::batch_norm(x, n.weight, n.bias, n.running_mean, n.running_var, training, 0.1, 1e-5,
                        /*cudnn_enabled=*/true);
}

at::Tensor Encoder::norm_relu(const at::Tensor& x, int64_t i, bool training,
                              const at::Tensor& residual) {
  if (!training) {
    auto out = norm(x, i, training);
    if (residual.defined()) out.add_(residual);
    return out.relu_();
  }
  const Norm& n = count_batch(i);
  return core::norm_relu(x, residual, {n.weight, n.bias, n.running_mean, n.running_var, 0.1, 1e-5},
                         options_.fused_norm);
}

at::Tensor Encoder::block(const at::Tensor& x, const Block& b, bool training) {
  // BatchNorm, the residual sum and ReLU are one node in CPU training (norm_relu.h); elsewhere
  // in-place ReLU and sum, as torchvision's ReLU(inplace=True): BatchNorm's backward does not
  // need its output, ReLU's needs only its own, so nothing autograd saves is overwritten.
  auto out = norm_relu(conv(x, b.conv1), b.norm1, training, {});
  at::Tensor shortcut = x;
  if (b.down_conv >= 0) {
    shortcut = norm(conv(x, b.down_conv), b.down_norm, training);
  } else if (b.stride != 1 || b.in_planes != b.planes) {
    // Option A: subsample x[:, :, ::2, ::2] and zero-pad planes/4 channels on each side.
    shortcut = subsample_pad(x, b.planes / 4);
  }
  return norm_relu(conv(out, b.conv2), b.norm2, training, shortcut);
}

at::Tensor Encoder::forward(const at::Tensor& x, bool training) {
  check_shape("encoder", "x", x, {{"B", -1}, {"C", options_.in_channels}, {"H", -1}, {"W", -1}});
  // On the CPU, oneDNN convolutions run about 30% faster on channels-last tensors.
  auto input = x.is_cpu() ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
  auto out = norm_relu(conv(input, 0), 0, training, {});
  if (!cifar_) out = at::max_pool2d(out, {3, 3}, {2, 2}, {1, 1});
  for (const Block& b : blocks_) out = block(out, b, training);
  return pool_flatten(out, options_.pool);  // [B,D]
}

std::array<int64_t, 3> Encoder::map_shape(int64_t height, int64_t width) const {
  auto down = [](int64_t n, int64_t k, int64_t s, int64_t p) { return (n + 2 * p - k) / s + 1; };
  int64_t h = height, w = width;
  if (!cifar_) {
    h = down(down(h, 7, 2, 3), 3, 2, 1);
    w = down(down(w, 7, 2, 3), 3, 2, 1);
  }
  for (const Block& b : blocks_) {
    h = down(h, 3, b.stride, 1);
    w = down(w, 3, b.stride, 1);
  }
  return {out_channels_, h, w};
}

int64_t Encoder::out_features(int64_t height, int64_t width) const {
  if (options_.pool[0] > 0) return out_channels_ * options_.pool[0] * options_.pool[1];
  auto s = map_shape(height, width);
  return s[0] * s[1] * s[2];
}

std::vector<NamedTensor> Encoder::parameters() const {
  std::vector<NamedTensor> out;
  for (const Conv& c : convs_) out.push_back({c.name + ".weight", c.weight});
  for (const Norm& n : norms_) {
    out.push_back({n.name + ".weight", n.weight});
    out.push_back({n.name + ".bias", n.bias});
  }
  return out;
}

std::vector<NamedTensor> Encoder::buffers() const {
  std::vector<NamedTensor> out;
  for (const Norm& n : norms_) {
    out.push_back({n.name + ".running_mean", n.running_mean});
    out.push_back({n.name + ".running_var", n.running_var});
    out.push_back({n.name + ".num_batches_tracked", n.num_batches_tracked});
  }
  return out;
}

void Encoder::to(const at::Device& device) {
  for (Conv& c : convs_) move_parameter(c.weight, device);
  for (Norm& n : norms_) {
    move_parameter(n.weight, device);
    move_parameter(n.bias, device);
    move_buffer(n.running_mean, device);
    move_buffer(n.running_var, device);
    move_buffer(n.num_batches_tracked, device);
  }
}

}  // namespace dti::core
