#pragma once
// The DTI-Sprites model (docs/model.md): sprites, masks and backgrounds, the shared encoder, the
// transformation networks, occlusion, composition and selection. It never owns the optimiser.
//
// Training uses two passes with the same mathematics as the reference: every candidate sprite is
// transformed and the selection made without gradient, then only the chosen sprites are
// transformed again with gradient. The reference builds the graph over all L·K·B candidates and
// multiplies the unchosen ones by zero; their gradient is exactly zero, so the loss and the
// gradients are the same (tests/core/model_test.cpp checks this against that path).

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "core/encoder.h"
#include "core/model_options.h"
#include "core/parameters.h"
#include "core/predictor.h"
#include "core/transformation_network.h"

namespace dti::core {

/// The two optimiser parameter groups (docs/training.md#optimiser).
enum class ParameterGroup {
  kSprites,   ///< Sprite appearances, masks and backgrounds (no weight decay).
  kNetworks,  ///< Encoder and every predictor (weight decay).
};

/// A learnable tensor with what the optimiser and the reassignment need to know about it.
struct Parameter {
  std::string name;           ///< Stable name (checkpoints).
  at::Tensor tensor;          ///< The leaf tensor.
  ParameterGroup group;       ///< Optimiser group.
  bool encoder = false;       ///< Shared encoder tensor (docs/training.md#encoder-multiplicity).
  int64_t sprite_dim = -1;    ///< Axis indexing the K sprites, or -1 when not per sprite.
  bool copy_moments = false;  ///< Reassignment copies this tensor's Adam moments (reference).
};

/// Result of one training forward pass.
struct TrainOutput {
  at::Tensor loss;        ///< Scalar: batch mean of the chosen compositions' squared error.
  at::Tensor selection;   ///< [L,B] chosen sprite per layer (int64).
  at::Tensor background;  ///< [B] chosen background (int64; 0 when M ≤ 1).
  at::Tensor distance;    ///< [B] per-image error of the chosen composition (no gradient).
};

/// A hard decomposition of a batch (evaluation mode, no gradient).
struct Decomposition {
  at::Tensor selection;       ///< [L,B] chosen sprite per layer (int64; K−1 = empty sprite).
  at::Tensor background;      ///< [B] chosen background (int64; 0 when M ≤ 1).
  at::Tensor layers;          ///< [L,B,C,H,W] transformed appearance of the chosen sprites.
  at::Tensor masks;           ///< [L,B,1,H,W] their transformed masks.
  at::Tensor backgrounds;     ///< [B,C,H,W] chosen transformed background (undefined if M = 0).
  at::Tensor occlusion;       ///< [L,L,B] occlusion matrix (soft).
  at::Tensor reconstruction;  ///< [B,C,H,W] composition of the chosen layers (clamped to [0,1]).
  at::Tensor distance;        ///< [B] squared error of the chosen composition.
  /// [L,B,H,W] squared error (summed over channels) of each layer's appearance against the image,
  /// for ARI-FG's background reassignment: the chosen sprite's (greedy) or, as the authors'
  /// exhaustive evaluation, the minimum over all K sprites of the layer
  /// (docs/evaluation.md#instance-segmentation).
  at::Tensor layer_error;
};

/// The model. Parameters live on one device (to()); randomness comes from a seeded CPU
/// generator whose state is part of checkpoints, so runs are reproducible on any device.
class DtiSprites {
 public:
  /// Builds the model on the CPU; `seed` drives initialisation and noise.
  DtiSprites(const ModelOptions& options, uint64_t seed);
  ~DtiSprites();

  /// The validated options.
  const ModelOptions& options() const { return options_; }
  /// L, K (empty sprite included), M, feature size D.
  int64_t num_layers() const { return options_.n_objects; }
  int64_t num_sprites() const { return num_sprites_; }
  int64_t num_backgrounds() const { return options_.n_backgrounds; }
  int64_t feature_size() const { return features_; }

  /// Sets the number of completed epochs (drives curriculum and sprite freezing).
  void set_epoch(int64_t completed_epochs) { epoch_ = completed_epochs; }
  /// Number of completed epochs.
  int64_t epoch() const { return epoch_; }
  /// Whether sprites are frozen (`epoch < freeze_sprite`).
  bool sprites_frozen() const {
    return options_.freeze_sprite > 0 && epoch_ < options_.freeze_sprite;
  }

  /// Training forward pass on x [B,C,H,W] in [0,1]: BatchNorm in training mode, noise injection,
  /// selection, and the loss with gradient.
  TrainOutput forward_train(const at::Tensor& x);
  /// The authors' single-pass formulation of the same loss: every candidate transformed with
  /// gradient, then the one-hot composition (greedy) or the minimum over all compositions
  /// (exhaustive). Slower; kept to prove forward_train() equal and to benchmark the difference.
  TrainOutput forward_train_reference(const at::Tensor& x);
  /// Evaluation: hard decomposition of x [B,C,H,W] (BatchNorm running statistics, no noise).
  Decomposition decompose(const at::Tensor& x);
  /// Semantic label map [B,H,W] (int64): chosen sprite index + 1 where its mask > 0.5 is visible
  /// under the binarised occlusion, 0 elsewhere (docs/evaluation.md#semantic-segmentation).
  at::Tensor semantic_labels(const Decomposition& d) const;
  /// Instance label map [B,H,W] (int64): layer index + 1, 0 = background. With
  /// `reassign_background`, pixels predicted as background go to the layer whose transformed
  /// appearance is closest to the image there (ARI-FG, docs/evaluation.md#instance-segmentation).
  at::Tensor instance_labels(const Decomposition& d, const at::Tensor& x,
                             bool reassign_background) const;

  /// Every learnable tensor, each once, with its group and roles.
  std::vector<Parameter> parameters() const;
  /// BatchNorm running statistics (named), for checkpoints.
  std::vector<NamedTensor> buffers() const;
  /// How many transformation networks hold the shared encoder (the reference lists its
  /// parameters that many times in the optimiser: docs/training.md#encoder-multiplicity).
  int64_t encoder_multiplicity() const;
  /// Number of learnable scalars (each tensor once).
  int64_t num_trainable_parameters() const;

  /// Sprite appearances [K,C,h,w] and masks [K,1,h,w] after the soft clamp, empty sprite last.
  at::Tensor prototypes() const;
  at::Tensor masks() const;
  /// Backgrounds [M,C,H,W] after the soft clamp (undefined when M = 0).
  at::Tensor backgrounds() const;

  /// Initialisation that needs data: 'sample' prototypes and 'mean' backgrounds, from training
  /// images [N,C,H,W] (the reference uses 100 random ones). No-op for data-free initialisations.
  void initialize_from_images(const at::Tensor& images);
  /// Re-initialises sprite `dst` as a copy of sprite `src` (appearance + N(0, 1e-4) noise, same
  /// mask, predictors of every layer copied): docs/training.md#reassignment.
  void restart_sprite_from(int64_t dst, int64_t src);

  /// Moves everything to `device`. Call before building an optimiser over parameters().
  void to(const at::Device& device);
  /// The device holding the parameters.
  at::Device device() const { return device_; }
  /// The model's random generator (CPU).
  at::Generator& generator() { return generator_; }

 private:
  struct Predicted;
  struct Pass;
  Predicted predict(const at::Tensor& x, bool training);
  // Shape check, predictions, sprites, noise and backgrounds of one forward pass.
  Pass begin_pass(const at::Tensor& x, bool training, const char* where);
  // Every candidate transformed (noise added in training): layers [L,K,B,C,H,W], masks
  // [L,K,B,1,H,W].
  void all_candidates(const Pass& pass, at::Tensor* layers, at::Tensor* masks) const;
  at::Tensor sprite_stack(bool training) const;
  // Raw sprite parameters [K_real,...] with the (zero) empty sprite appended when configured.
  at::Tensor with_empty_sprite(const at::Tensor& params) const;
  // all: every candidate -> [L,K,B,C',H,W] (possibly a strided view); else the listed items ->
  // [N,C',H,W].
  at::Tensor transform_items(const at::Tensor& stack, const Predicted& pred,
                             const at::Tensor& sprite_idx, const at::Tensor& layer_idx,
                             const at::Tensor& batch_idx, bool all) const;
  // transform_items(all) with a layer network: [L,K,B,C',H,W] strided view.
  at::Tensor transform_all_grouped(const at::Tensor& stack, const Predicted& pred) const;
  at::Tensor transform_backgrounds(const Predicted& pred) const;
  void split_and_noise(const at::Tensor& items, const at::Tensor& noise_rows, at::Tensor* layers,
                       at::Tensor* masks) const;
  at::Tensor draw_noise();
  struct Selection {
    at::Tensor sprites;     // [L,B]
    at::Tensor background;  // [B]
    at::Tensor distance;    // [B]
  };
  Selection select(const at::Tensor& x, const at::Tensor& layers, const at::Tensor& masks,
                   const at::Tensor& backgrounds, const at::Tensor& occ) const;
  at::Tensor compose_chosen(const at::Tensor& layers, const at::Tensor& masks,
                            const at::Tensor& background, const at::Tensor& occ) const;
  // Decomposition::layer_error from all candidates [L,K,B,C,H,W] and the chosen ones [L,B,C,H,W].
  at::Tensor layer_error_map(const at::Tensor& x, const at::Tensor& all_layers,
                             const at::Tensor& chosen_layers) const;

  ModelOptions options_;
  int64_t num_sprites_;  // K, empty included
  int64_t features_ = 0;
  int64_t epoch_ = 0;
  at::Device device_{at::kCPU};
  at::Generator generator_;
  at::Tensor prototype_params_;   // [K_real,C,h,w]
  at::Tensor mask_params_;        // [K_real,1,h,w]
  at::Tensor background_params_;  // [M,C,H,W]
  std::unique_ptr<Encoder> encoder_;
  std::vector<std::unique_ptr<TransformationNetwork>> sprite_networks_;  // one per layer
  std::unique_ptr<TransformationNetwork> layer_network_;                 // null when identity
  std::unique_ptr<TransformationNetwork> background_network_;            // null when M = 0
  std::unique_ptr<PredictorBank> occlusion_predictor_;                   // null when fixed
};

}  // namespace dti::core
