#include "core/model_options.h"

#include "base/error.h"
#include "core/transform.h"

namespace dti::core {

void ModelOptions::validate() const {
  DTI_CHECK(channels > 0, "channels must be > 0, got ", channels);
  DTI_CHECK(image_size[0] > 0 && image_size[1] > 0, "image size must be positive, got ",
            image_size[0], "x", image_size[1]);
  DTI_CHECK(n_sprites >= 1, "n_sprites must be >= 1, got ", n_sprites);
  DTI_CHECK(n_objects >= 1, "n_objects must be >= 1, got ", n_objects);
  DTI_CHECK(n_backgrounds >= 0, "n_backgrounds must be >= 0, got ", n_backgrounds);
  DTI_CHECK(lambda_empty_sprite >= 0, "lambda_empty_sprite must be >= 0, got ",
            lambda_empty_sprite);
  DTI_CHECK(sprite_size[0] >= 0 && sprite_size[1] >= 0, "sprite_size must be >= 0, got ",
            sprite_size[0], "x", sprite_size[1]);
  DTI_CHECK(gaussian_weights_std > 0, "gaussian_weights_std must be > 0, got ",
            gaussian_weights_std);
  DTI_CHECK(greedy_algo_iter >= 1, "greedy_algo_iter must be >= 1, got ", greedy_algo_iter);
  DTI_CHECK(freeze_sprite >= 0, "freeze_sprite must be >= 0, got ", freeze_sprite);
  DTI_CHECK(inject_noise >= 0 && inject_noise <= 1, "inject_noise must be in [0, 1], got ",
            inject_noise);
  DTI_CHECK(grid_size >= 2, "grid_size must be >= 2, got ", grid_size);
  DTI_CHECK(kernel_size >= 1 && kernel_size % 2 == 1, "kernel_size must be odd, got ", kernel_size);
  DTI_CHECK(
      !estimate_minimum || n_backgrounds <= 1,
      "estimate_minimum (greedy selection) supports at most one background, got n_backgrounds=",
      n_backgrounds);
  DTI_CHECK(!pred_occlusion || n_objects >= 2,
            "pred_occlusion needs n_objects >= 2 (there is nothing to order), got ", n_objects);
  for (const auto& seq :
       {transformation_sequence, transformation_sequence_layer, transformation_sequence_bkg}) {
    parse_transform_sequence(seq);  // throws listing the valid module names
  }
  const auto sprite = resolved_sprite_size();
  const bool layer_identity =
      transformation_sequence_layer == "identity" || transformation_sequence_layer == "id";
  const bool sprite_identity =
      transformation_sequence == "identity" || transformation_sequence == "id";
  DTI_CHECK(!(layer_identity && sprite_identity) ||
                (sprite[0] == image_size[0] && sprite[1] == image_size[1]),
            "sprite_size ", sprite[0], "x", sprite[1], " differs from the image size ",
            image_size[0], "x", image_size[1],
            " but no transformation resizes sprites: set transformation_sequence "
            "or transformation_sequence_layer to a sequence with a spatial module");
  DTI_CHECK(!(layer_identity && sprite_identity &&
              (n_backgrounds == 0 || transformation_sequence_bkg == "identity")),
            "every transformation sequence is identity: the model would have nothing to predict");
}

std::array<int64_t, 2> ModelOptions::resolved_sprite_size() const {
  if (sprite_size[0] == 0 || sprite_size[1] == 0) return image_size;
  return sprite_size;
}

double ModelOptions::resolved_cluster_threshold() const {
  return empty_cluster_threshold < 0 ? 0.2 / static_cast<double>(n_sprites)
                                     : empty_cluster_threshold;
}

}  // namespace dti::core
