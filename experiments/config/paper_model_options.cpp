#include "experiments/config/paper_model_options.h"

#include "base/error.h"
#include "base/strings.h"

namespace dti::experiments {
namespace {

using core::ModelOptions;

// Settings shared by the three multi-object configs (tetro.yml, dsprites_gray.yml, clevr6.yml).
ModelOptions multi_object(int64_t size, int64_t sprites, int64_t layers, int64_t sprite_size,
                          double std) {
  ModelOptions o;
  o.image_size = {size, size};
  o.n_sprites = sprites;
  o.n_objects = layers;
  o.sprite_size = {sprite_size, sprite_size};
  o.gaussian_weights_std = std;
  o.inject_noise = 0.4;
  o.proto_init = core::ProtoInit::kConstant;
  o.mask_init = core::MaskInit::kGaussian;
  o.transformation_sequence_layer = "color_position";
  o.transformation_sequence_bkg = "color";
  o.estimate_minimum = true;
  return o;
}

// Settings shared by the single-object configs (gtsrb8.yml, svhn.yml, horse.yml).
ModelOptions single_object(int64_t size, int64_t sprites, double std,
                           std::vector<int64_t> curriculum) {
  ModelOptions o;
  o.image_size = {size, size};
  o.n_sprites = sprites;
  o.n_objects = 1;
  o.n_backgrounds = 1;
  o.gaussian_weights_std = std;
  o.inject_noise = 0.4;
  o.proto_init = core::ProtoInit::kConstant;
  o.mask_init = core::MaskInit::kGaussian;
  o.bkg_init = core::BackgroundInit::kMean;
  o.transformation_sequence = "color_projective_tps";
  o.transformation_sequence_bkg = "color_projective_tps";
  o.curriculum_learning = curriculum;
  o.curriculum_learning_bkg = curriculum;
  return o;
}

}  // namespace

std::vector<std::string> paper_datasets() {
  return {"tetrominoes", "multi_dsprites", "clevr6", "gtsrb8", "svhn", "weizmann_horse"};
}

ModelOptions paper_model_options(const std::string& dataset) {
  if (dataset == "tetrominoes") {
    auto o = multi_object(35, 19, 3, 24, 5);
    o.freeze_sprite = 1;
    o.greedy_algo_iter = 1;
    return o;
  }
  if (dataset == "multi_dsprites") {
    auto o = multi_object(64, 3, 5, 28, 7);
    o.n_backgrounds = 1;
    o.freeze_sprite = 10;
    o.with_pool = {4, 4};
    o.transformation_sequence = "identity_similarity";
    o.curriculum_learning = {20};
    o.pred_occlusion = true;
    o.greedy_algo_iter = 3;
    o.add_empty_sprite = true;
    o.lambda_empty_sprite = 1e-4;
    return o;
  }
  if (dataset == "clevr6") {
    auto o = multi_object(128, 6, 6, 40, 10);
    o.n_backgrounds = 1;
    o.freeze_sprite = 40;
    o.encoder_name = core::EncoderKind::kResNet18;
    o.with_pool = {2, 2};
    o.transformation_sequence = "identity_projective";
    o.curriculum_learning = {150};
    o.bkg_init = core::BackgroundInit::kMean;
    o.pred_occlusion = true;
    o.greedy_algo_iter = 3;
    o.add_empty_sprite = true;
    o.lambda_empty_sprite = 1e-4;
    return o;
  }
  if (dataset == "gtsrb8") return single_object(28, 8, 5, {100, 350});
  if (dataset == "svhn") return single_object(32, 10, 8, {10, 35});
  if (dataset == "weizmann_horse") {
    auto o = single_object(128, 1, 20, {3000, 8000});
    o.encoder_name = core::EncoderKind::kResNet18;
    return o;
  }
  throw Error("unknown dataset '" + dataset + "'; valid: " + join(paper_datasets()));
}

}  // namespace dti::experiments
