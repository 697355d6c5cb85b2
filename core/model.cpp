#include "core/model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

#include "base/error.h"
#include "core/device_copy.h"
#include "core/init.h"
#include "core/shapes.h"
#include "core/softclip.h"

namespace dti::core {
namespace {

bool is_identity_name(const std::string& sequence) {
  for (TransformKind kind : parse_transform_sequence(sequence)) {
    if (kind != TransformKind::kIdentity) return false;
  }
  return true;
}

// Reference NOISE_SCALE of copy_with_noise when a sprite is restarted from another.
constexpr double kRestartNoise = 1e-4;

}  // namespace

DtiSprites::DtiSprites(const ModelOptions& options, uint64_t seed)
    : options_(options), generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {
  options_.validate();
  const int64_t C = options_.channels, H = options_.image_size[0], W = options_.image_size[1];
  const auto sprite = options_.resolved_sprite_size();
  const int64_t h = sprite[0], w = sprite[1], K_real = options_.n_sprites;
  const int64_t L = options_.n_objects, M = options_.n_backgrounds;
  num_sprites_ = K_real + (options_.add_empty_sprite ? 1 : 0);

  // Sprites (docs/model.md): 'sample' and 'mean' start constant, set by initialize_from_images().
  at::Tensor protos;
  if (options_.proto_init == ProtoInit::kGaussian) {
    protos = gaussian_weights(h, w, C, options_.gaussian_weights_std)
                 .unsqueeze(0)
                 .repeat({K_real, 1, 1, 1});
  } else if (options_.proto_init == ProtoInit::kRandomColor) {
    protos = at::rand({K_real, C, 1, 1}, generator_, at::kFloat).expand({K_real, C, h, w});
  } else {
    protos = at::full({K_real, C, h, w}, 0.9);
  }
  prototype_params_ = make_parameter(protos);
  at::Tensor masks;
  if (options_.mask_init == MaskInit::kGaussian) {
    // One contiguous copy per sprite: the reference's expand() aliases all K masks, which CUDA's
    // .to() undoes and CPU Adam rejects (golden README note 13).
    masks = gaussian_weights(h, w, 1, options_.gaussian_weights_std)
                .unsqueeze(0)
                .repeat({K_real, 1, 1, 1});
  } else if (options_.mask_init == MaskInit::kRandom) {
    masks = at::rand({K_real, 1, h, w}, generator_, at::kFloat);
  } else {
    masks = at::ones({K_real, 1, h, w});
  }
  mask_params_ = make_parameter(masks);
  if (M > 0) background_params_ = make_parameter(at::full({M, C, H, W}, 0.5));

  encoder_ = std::make_unique<Encoder>(
      EncoderOptions{options_.encoder_name, C, options_.with_pool, options_.fused_norm},
      generator_);
  features_ = encoder_->out_features(H, W);

  // Transformation networks (docs/model.md): sprite-specific ones work at sprite size when a layer
  // network maps h×w to H×W, directly at H×W otherwise.
  const bool has_layer_network = !is_identity_name(options_.transformation_sequence_layer);
  TransformOptions sprite_tf;
  sprite_tf.out_size = has_layer_network ? sprite : options_.image_size;
  sprite_tf.color_channels = C;
  sprite_tf.grid_size = options_.grid_size;
  sprite_tf.kernel_size = options_.kernel_size;
  for (int64_t l = 0; l < L; ++l) {
    sprite_networks_.push_back(std::make_unique<TransformationNetwork>(
        TransformationNetworkOptions{options_.transformation_sequence, options_.curriculum_learning,
                                     num_sprites_, features_, sprite_tf},
        generator_));
  }
  TransformOptions image_tf = sprite_tf;
  image_tf.out_size = options_.image_size;
  if (has_layer_network) {
    layer_network_ = std::make_unique<TransformationNetwork>(
        TransformationNetworkOptions{options_.transformation_sequence_layer,
                                     options_.curriculum_learning_layer, L, features_, image_tf},
        generator_);
  }
  if (M > 0) {
    TransformOptions bkg_tf = image_tf;
    bkg_tf.padding = PaddingMode::kBorder;
    background_network_ = std::make_unique<TransformationNetwork>(
        TransformationNetworkOptions{options_.transformation_sequence_bkg,
                                     options_.curriculum_learning_bkg, M, features_, bkg_tf},
        generator_);
  }
  if (options_.pred_occlusion) {
    occlusion_predictor_ =
        std::make_unique<PredictorBank>(1, features_, L * (L - 1) / 2, generator_);
  }
}

DtiSprites::~DtiSprites() = default;

std::vector<Parameter> DtiSprites::parameters() const {
  std::vector<Parameter> out;
  out.push_back(
      {"sprites.appearance", prototype_params_, ParameterGroup::kSprites, false, 0, false});
  out.push_back({"sprites.masks", mask_params_, ParameterGroup::kSprites, false, 0, true});
  if (background_params_.defined()) {
    out.push_back({"backgrounds", background_params_, ParameterGroup::kSprites});
  }
  for (const auto& p : encoder_->parameters()) {
    out.push_back({"encoder." + p.name, p.tensor, ParameterGroup::kNetworks, true});
  }
  for (size_t l = 0; l < sprite_networks_.size(); ++l) {
    const auto params = sprite_networks_[l]->parameters("sprite_network." + std::to_string(l));
    const auto dims = sprite_networks_[l]->instance_dims();
    for (size_t i = 0; i < params.size(); ++i) {
      out.push_back(
          {params[i].name, params[i].tensor, ParameterGroup::kNetworks, false, dims[i], true});
    }
  }
  if (layer_network_) {
    for (const auto& p : layer_network_->parameters("layer_network")) {
      out.push_back({p.name, p.tensor, ParameterGroup::kNetworks});
    }
  }
  if (background_network_) {
    for (const auto& p : background_network_->parameters("background_network")) {
      out.push_back({p.name, p.tensor, ParameterGroup::kNetworks});
    }
  }
  if (occlusion_predictor_) {
    for (const auto& p : occlusion_predictor_->parameters("occlusion_predictor")) {
      out.push_back({p.name, p.tensor, ParameterGroup::kNetworks});
    }
  }
  return out;
}

std::vector<NamedTensor> DtiSprites::buffers() const {
  std::vector<NamedTensor> out;
  for (const auto& b : encoder_->buffers()) out.push_back({"encoder." + b.name, b.tensor});
  return out;
}

int64_t DtiSprites::encoder_multiplicity() const {
  // The reference's transformer_parameters() chains the parameters of every non-identity
  // transformation network, and each holds the shared encoder (golden README note 12).
  int64_t n = sprite_networks_.front()->is_identity() ? 0 : options_.n_objects;
  if (layer_network_ && !layer_network_->is_identity()) ++n;
  if (background_network_ && !background_network_->is_identity()) ++n;
  return std::max<int64_t>(n, 1);
}

int64_t DtiSprites::num_trainable_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.tensor.numel();
  return n;
}

at::Tensor DtiSprites::with_empty_sprite(const at::Tensor& params) const {
  if (!options_.add_empty_sprite) return params;
  return at::cat({params, at::zeros_like(params[0]).unsqueeze(0)});  // [K_real+1,...]
}

at::Tensor DtiSprites::prototypes() const {
  return softclip(with_empty_sprite(prototype_params_));  // [K,C,h,w]
}

at::Tensor DtiSprites::masks() const {
  return softclip(with_empty_sprite(mask_params_));  // [K,1,h,w]
}

at::Tensor DtiSprites::backgrounds() const {
  return background_params_.defined() ? softclip(background_params_) : at::Tensor();
}

void DtiSprites::initialize_from_images(const at::Tensor& images) {
  check_shape("initialize_from_images", "images", images,
              {{"N", -1},
               {"C", options_.channels},
               {"H", options_.image_size[0]},
               {"W", options_.image_size[1]}});
  DTI_CHECK(images.size(0) > 0, "initialize_from_images: expected at least one image");
  c10::NoGradGuard no_grad;
  auto imgs = images.to(device_, at::kFloat);
  if (options_.proto_init == ProtoInit::kSample) {
    // One random training image per sprite, resized to the sprite size (reference 'sample').
    const auto sprite = options_.resolved_sprite_size();
    auto idx = host_to_device(
        at::randint(images.size(0), {options_.n_sprites}, generator_, at::kLong), device_);
    auto picked = imgs.index_select(0, idx);
    prototype_params_.copy_(at::upsample_bilinear2d(picked, {sprite[0], sprite[1]}, false));
  }
  if (background_params_.defined() && options_.bkg_init == BackgroundInit::kMean) {
    background_params_.copy_(imgs.mean(0, /*keepdim=*/true).expand_as(background_params_));
  }
}

void DtiSprites::restart_sprite_from(int64_t dst, int64_t src) {
  const int64_t K_real = options_.n_sprites;
  DTI_CHECK(dst >= 0 && dst < K_real && src >= 0 && src < K_real,
            "restart_sprite_from: sprite indices must be in [0, ", K_real, "), got ", dst, " and ",
            src);
  c10::NoGradGuard no_grad;
  auto noise =
      host_to_device(at::randn(prototype_params_[src].sizes(), generator_, at::kFloat), device_);
  auto appearance = prototype_params_[src].clone() + noise * kRestartNoise;
  prototype_params_[dst].copy_(appearance);
  mask_params_[dst].copy_(mask_params_[src].clone());
  for (auto& network : sprite_networks_) network->copy_instance(dst, src);
}

void DtiSprites::to(const at::Device& device) {
  move_parameter(prototype_params_, device);
  move_parameter(mask_params_, device);
  move_parameter(background_params_, device);
  encoder_->to(device);
  for (auto& n : sprite_networks_) n->to(device);
  if (layer_network_) layer_network_->to(device);
  if (background_network_) background_network_->to(device);
  if (occlusion_predictor_) occlusion_predictor_->to(device);
  device_ = device;
}

}  // namespace dti::core
