#pragma once
// Cosegmentation (paper Table 4, docs/evaluation.md#cosegmentation), scored as the authors'
// SegmentationScores(n_classes=2) does: one 2x2 confusion matrix (background, foreground) pooled
// over every pixel of every evaluated image, predicted classes matched to true ones with the
// Hungarian algorithm (so a run that learned the horse as "background" is scored after the swap),
// then global accuracy (the paper's headline) and IoU.

#include <cstdint>
#include <vector>

namespace dti::metrics {

/// 2x2 confusion matrix of binary foreground maps, accumulated over images.
class CosegmentationAccumulator {
 public:
  /// Adds one image (or a flat batch): masks hold 0 (background) or 1 (foreground).
  void update(const int64_t* truth, const int64_t* pred, int64_t size);
  /// Adds one image (vector form).
  void update(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred);

  /// Matched pixels / pixels after the Hungarian matching of the 2x2 matrix, in [0, 1];
  /// throws when nothing was added.
  double accuracy() const;
  /// Mean over the two classes of the matched IoU (the authors' avg_iou), in [0, 1].
  double mean_iou() const;
  /// IoU of the true foreground with the prediction matched to it, in [0, 1] (0 when neither the
  /// truth nor the matched prediction has a foreground pixel).
  double foreground_iou() const;
  /// Whether the matching swapped the predicted classes (the model's "foreground" is the
  /// background); throws when nothing was added.
  bool swapped() const;
  /// Pixels labelled correctly after the matching.
  int64_t n_correct() const;
  /// Counts [2, 2], row-major, GT rows: {bg→bg, bg→fg, fg→bg, fg→fg}.
  const std::vector<int64_t>& confusion() const { return confusion_; }
  /// Pixels added.
  int64_t n_pixels() const { return n_pixels_; }
  /// Images (update calls) added.
  int64_t n_images() const { return n_images_; }
  /// Forgets everything.
  void reset();

 private:
  std::vector<int64_t> confusion_ = std::vector<int64_t>(4, 0);
  int64_t n_pixels_ = 0;
  int64_t n_images_ = 0;
};

}  // namespace dti::metrics
