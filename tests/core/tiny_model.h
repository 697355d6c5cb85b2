#pragma once
// The smallest model the trainer tests train: the authors' Tetrominoes settings on 16×16 images
// with 3 sprites and 2 layers, so that a few epochs take a second on a CPU.

#include "core/model_options.h"
#include "experiments/config/paper_model_options.h"

namespace dti::test {

inline core::ModelOptions tiny() {
  auto o = experiments::paper_model_options("tetrominoes");
  o.image_size = {16, 16};
  o.sprite_size = {10, 10};
  o.n_sprites = 3;
  o.n_objects = 2;
  return o;
}

}  // namespace dti::test
