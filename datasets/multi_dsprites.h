#pragma once
// Built-in Multi-dSprites generator (colored_on_grayscale variant of DeepMind's
// multi_object_datasets, as used by DTI-Sprites): 64x64 RGB, one uniform grey background, 2-5
// sprites (square, ellipse, heart) on the dSprites latent grid (6 scales in [0.5,1], 40
// orientations in [0,2pi], 32x32 positions in [0,1]) with random saturated HSV colours, later
// sprites in front. Instance masks are the visible pixels of each sprite; the semantic class is the
// shape (1 square, 2 ellipse, 3 heart). Shapes are rasterised analytically at pixel centres; the
// geometry (FORMAT.md) was fitted to real dSprites images. `multi_dsprites2` is the two-sprite
// variant of Table 2.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset_file.h"

namespace dti::datasets {

/// Image side of Multi-dSprites.
constexpr int64_t kDspritesSize = 64;

/// dSprites shapes, numbered as the dSprites `shape` latent (and our semantic classes).
enum class DspriteShape : int { kSquare = 1, kEllipse = 2, kHeart = 3 };

/// One sprite, its latents given as indices into the dSprites grid.
struct Sprite {
  DspriteShape shape = DspriteShape::kSquare;  ///< Shape (semantic class).
  int scale = 5;                               ///< Scale index 0..5: scale = 0.5 + 0.1 * index.
  int orientation = 0;             ///< Orientation index 0..39: angle = 2 pi * index / 39.
  int x = 16;                      ///< Horizontal position index 0..31: pos = index / 31.
  int y = 16;                      ///< Vertical position index 0..31: pos = index / 31.
  std::array<uint8_t, 3> color{};  ///< RGB colour.
};

/// A scene: grey level of the background, sprites back to front.
struct DspritesScene {
  uint8_t background = 0;       ///< Grey level of the whole background.
  std::vector<Sprite> sprites;  ///< Drawn in order: later sprites are in front.
};

/// Options of `runexp data generate multi_dsprites|multi_dsprites2`.
struct MultiDspritesOptions {
  std::string name = "multi_dsprites";  ///< Dataset name written to the file.
  int64_t count = 60000;                ///< Number of images (N).
  uint64_t seed = 0;                    ///< Seed; image i is a pure function of (seed, i).
  int min_objects = 2;                  ///< Fewest sprites per image.
  int max_objects = 5;                  ///< Most sprites per image (<= 5).
  bool show_progress = true;            ///< Print progress to stderr.
  /// The Table 2 variant: name `multi_dsprites2`, exactly two sprites per image.
  static MultiDspritesOptions two_objects();
  /// Throws dti::Error naming the field when a value is out of range.
  void validate() const;
};

/// Whether the canvas point (px, py) (pixel (x, y) has centre (x + 0.5, y + 0.5)) lies in `sprite`.
bool sprite_covers(const Sprite& sprite, double px, double py);

/// Scene of image `index`: grey level uniform in 0..255, sprite count uniform in
/// [min_objects, max_objects], every latent uniform on its grid, colour HSV with hue in [0,1),
/// saturation and value in [0.75,1].
DspritesScene sample_dsprites_scene(const MultiDspritesOptions& options, int64_t index);

/// Renders a scene: image, instance mask (sprite k has id k+1, visible pixels only), semantic mask.
Sample render_dsprites(const DspritesScene& scene);

/// Layout and provenance of a generated Multi-dSprites file.
DatasetInfo multi_dsprites_info(const MultiDspritesOptions& options);

/// Generates the dataset into `out_path` (temporary name, renamed when complete).
void generate_multi_dsprites(const MultiDspritesOptions& options, const std::string& out_path);

}  // namespace dti::datasets
