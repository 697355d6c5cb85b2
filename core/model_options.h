#pragma once
// Typed options of the DTI-Sprites model. Field names mirror the keys of the authors' configs
// (configs/*.yml, `model:` section) so that config files read like theirs.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/encoder.h"
#include "core/init.h"

namespace dti::core {

/// Everything that defines a DTI-Sprites model (docs/model.md; per-dataset values: paper Table 6).
struct ModelOptions {
  /// Colour channels C of the images.
  int64_t channels = 3;
  /// Image size {H, W}.
  std::array<int64_t, 2> image_size{0, 0};
  /// Number of learnable sprites (without the empty sprite).
  int64_t n_sprites = 1;
  /// Number of object layers L.
  int64_t n_objects = 1;
  /// Number of background prototypes M (0 = black background).
  int64_t n_backgrounds = 0;
  /// Adds a fixed empty sprite (appearance 0, mask 0) as the last sprite.
  bool add_empty_sprite = false;
  /// λ: cost of using a non-empty sprite in greedy selection.
  double lambda_empty_sprite = 0.0;
  /// Sprite size {h, w}; {0,0} means the image size.
  std::array<int64_t, 2> sprite_size{0, 0};
  /// Appearance initialisation: constant (0.9), gaussian, sample (random training images) or
  /// random_color.
  ProtoInit proto_init = ProtoInit::kConstant;
  /// Mask initialisation: constant (1), gaussian or random.
  MaskInit mask_init = MaskInit::kGaussian;
  /// σ of the Gaussian mask initialisation, in pixels.
  double gaussian_weights_std = 5.0;
  /// Background initialisation: constant (0.5) or mean (mean of 100 random training images).
  BackgroundInit bkg_init = BackgroundInit::kConstant;
  /// Encoder: resnet20, resnet32 or resnet18.
  EncoderKind encoder_name = EncoderKind::kResNet32;
  /// Adaptive pooling grid after the encoder {h, w}; {0,0} = no pooling.
  std::array<int64_t, 2> with_pool{1, 1};
  /// CPU training: the encoder's BatchNorm, residual sum and ReLU as one fused node (a named
  /// option, training.encoder_norm: fused; docs/deviations.md). False: LibTorch's operators.
  bool fused_norm = false;
  /// Sprite-specific transformation sequence (per layer and sprite), e.g. identity_similarity.
  std::string transformation_sequence = "identity";
  /// Layer transformation sequence, shared by the sprites of a layer, e.g. color_position.
  std::string transformation_sequence_layer = "identity";
  /// Background transformation sequence, e.g. color.
  std::string transformation_sequence_bkg = "color";
  /// Curriculum milestones (epochs) of the sprite-specific sequence.
  std::vector<int64_t> curriculum_learning;
  /// Curriculum milestones of the layer sequence.
  std::vector<int64_t> curriculum_learning_layer;
  /// Curriculum milestones of the background sequence.
  std::vector<int64_t> curriculum_learning_bkg;
  /// TPS control grid size g (g×g points).
  int64_t grid_size = 4;
  /// Morphological kernel size.
  int64_t kernel_size = 3;
  /// Predict the occlusion matrix from the image (else a fixed depth order).
  bool pred_occlusion = false;
  /// Greedy selection (Algorithm 1) instead of the exhaustive K^L·M search.
  bool estimate_minimum = false;
  /// Sweeps T of the greedy selection.
  int64_t greedy_algo_iter = 1;
  /// Sprites and masks get no gradient during the first N epochs.
  int64_t freeze_sprite = 0;
  /// Noise injection strength in training (0 = off).
  double inject_noise = 0.0;
  /// Reassign rarely used sprites during training.
  bool reassign_cluster = true;
  /// Usage threshold for reassignment; a negative value means 0.2 / n_sprites (reference).
  double empty_cluster_threshold = -1.0;

  /// Throws dti::Error naming the field, the value and the valid range when an option is invalid.
  void validate() const;
  /// Sprite size with {0,0} resolved to the image size.
  std::array<int64_t, 2> resolved_sprite_size() const;
  /// Reassignment threshold with the default resolved.
  double resolved_cluster_threshold() const;
};

}  // namespace dti::core
