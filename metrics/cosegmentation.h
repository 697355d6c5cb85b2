#pragma once
// Cosegmentation accuracy (paper Table 4, docs/evaluation.md): the share of pixels labelled
// correctly as foreground or background, pooled over every pixel of every evaluated image.

#include <cstdint>
#include <vector>

namespace dti::metrics {

/// Pixel counts of binary foreground maps, accumulated over images.
class CosegmentationAccumulator {
 public:
  /// Adds one image (or a flat batch): masks hold 0 (background) or 1 (foreground).
  void update(const int64_t* truth, const int64_t* pred, int64_t size);
  /// Adds one image (vector form).
  void update(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred);

  /// Correct pixels / pixels over everything added, in [0, 1]; throws when nothing was added.
  double accuracy() const;
  /// Pixels labelled correctly (foreground as foreground or background as background).
  int64_t n_correct() const { return n_correct_; }
  /// Pixels added.
  int64_t n_pixels() const { return n_pixels_; }
  /// Images (update calls) added.
  int64_t n_images() const { return n_images_; }
  /// Forgets everything.
  void reset() { n_correct_ = n_pixels_ = n_images_ = 0; }

 private:
  int64_t n_correct_ = 0;
  int64_t n_pixels_ = 0;
  int64_t n_images_ = 0;
};

}  // namespace dti::metrics
