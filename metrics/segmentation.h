#pragma once
// Semantic segmentation (paper Table 5, docs/evaluation.md), as the reference's SegmentationScores:
// one confusion matrix accumulated over all images, Hungarian matching of predicted to true
// classes, then global accuracy, mACC and mIoU with and without the background class.

#include <cstdint>
#include <vector>

namespace dti::metrics {

/// Scores of one confusion matrix; accuracies and IoUs are in [0, 1].
struct SegmentationScores {
  double global_accuracy = 0.0;  ///< Matched pixels / pixels, all classes.
  double mean_accuracy = 0.0;    ///< mACC: mean over classes of matched / class pixels (NaN→0).
  double mean_iou = 0.0;         ///< mIoU: mean over classes of IoU (NaN→0).
  /// Global accuracy without background: GT row 0 and predicted column 0 dropped, re-matched.
  /// NaN when no pixel is left (the reference's 0/0).
  double global_accuracy_no_background = 0.0;
  double mean_accuracy_no_background = 0.0;  ///< mACC on the same reduced, re-matched matrix.
  double mean_iou_no_background = 0.0;       ///< mIoU on the same reduced, re-matched matrix.
  /// Per-class IoU from the full-matrix matching, [n_classes]; NaN for a class absent from
  /// both the truth and its matched prediction.
  std::vector<double> class_iou;
  /// Per-class accuracy from the full-matrix matching, [n_classes]; NaN without GT pixels.
  std::vector<double> class_accuracy;
  /// Predicted id matched to each GT class by the full-matrix Hungarian assignment.
  std::vector<int64_t> prediction_of_class;
};

/// Scores of a confusion matrix [n_classes, n_classes] (row-major, GT rows, predicted columns).
/// Throws when it is not square with n_classes >= 2 or holds no pixel.
SegmentationScores segmentation_scores(const std::vector<int64_t>& confusion, int64_t n_classes);

/// Accumulates the confusion matrix over images; label 0 is the background on both sides.
class SegmentationAccumulator {
 public:
  /// Truth and predicted labels lie in [0, n_classes), n_classes >= 2 (background included).
  explicit SegmentationAccumulator(int64_t n_classes);

  /// Adds one image (or any flat batch) of `size` pixels.
  void update(const int64_t* truth, const int64_t* pred, int64_t size);
  /// Adds one image (vector form).
  void update(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred);

  /// Scores of everything accumulated so far; throws when no pixel was added.
  SegmentationScores compute() const { return segmentation_scores(confusion_, n_classes_); }
  /// Counts [n_classes, n_classes], row-major, GT rows.
  const std::vector<int64_t>& confusion() const { return confusion_; }
  /// Number of classes, background included.
  int64_t n_classes() const { return n_classes_; }
  /// Pixels accumulated.
  int64_t n_pixels() const { return n_pixels_; }
  /// Clears the matrix.
  void reset();

 private:
  int64_t n_classes_;
  int64_t n_pixels_ = 0;
  std::vector<int64_t> confusion_;
};

}  // namespace dti::metrics
