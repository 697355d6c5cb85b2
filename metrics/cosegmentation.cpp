#include "metrics/cosegmentation.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "metrics/contingency.h"
#include "metrics/segmentation.h"

namespace dti::metrics {

namespace {

SegmentationScores scores_of(const std::vector<int64_t>& confusion, int64_t n_pixels,
                             const char* what) {
  DTI_CHECK(n_pixels > 0, "CosegmentationAccumulator::", what,
            ": expected at least one pixel, got 0; call update() for every evaluated image first");
  // docs/evaluation.md#cosegmentation: the authors score Weizmann Horse with
  // SegmentationScores(2): Hungarian matching of the pooled 2x2 matrix, background included.
  return segmentation_scores(confusion, 2);
}

}  // namespace

void CosegmentationAccumulator::update(const int64_t* truth, const int64_t* pred, int64_t size) {
  // The 2x2 contingency table validates that both masks are binary (anything else, e.g. a 0/255
  // mask, is refused rather than silently read as foreground).
  check_label_arrays("CosegmentationAccumulator::update", truth, size, pred, size);
  add_to_contingency("CosegmentationAccumulator::update", truth, pred, size, 2, 2,
                     confusion_.data(),
                     "; foreground masks must hold 0 (background) or 1 (foreground)");
  n_pixels_ += size;
  ++n_images_;
}

void CosegmentationAccumulator::update(const std::vector<int64_t>& truth,
                                       const std::vector<int64_t>& pred) {
  check_label_arrays("CosegmentationAccumulator::update", truth.data(),
                     static_cast<int64_t>(truth.size()), pred.data(),
                     static_cast<int64_t>(pred.size()));
  update(truth.data(), pred.data(), static_cast<int64_t>(truth.size()));
}

double CosegmentationAccumulator::accuracy() const {
  // Pooled over all pixels (paper Table 4); with equal image sizes (Weizmann Horse at 128x128)
  // this equals the mean of per-image accuracies under one global matching.
  return scores_of(confusion_, n_pixels_, "accuracy").global_accuracy;
}

double CosegmentationAccumulator::mean_iou() const {
  return scores_of(confusion_, n_pixels_, "mean_iou").mean_iou;
}

double CosegmentationAccumulator::foreground_iou() const {
  const double iou = scores_of(confusion_, n_pixels_, "foreground_iou").class_iou[1];
  return std::isnan(iou) ? 0.0 : iou;
}

bool CosegmentationAccumulator::swapped() const {
  return scores_of(confusion_, n_pixels_, "swapped").prediction_of_class[1] == 0;
}

int64_t CosegmentationAccumulator::n_correct() const {
  if (n_pixels_ == 0) return 0;
  return swapped() ? confusion_[1] + confusion_[2] : confusion_[0] + confusion_[3];
}

void CosegmentationAccumulator::reset() {
  std::fill(confusion_.begin(), confusion_.end(), 0);
  n_pixels_ = n_images_ = 0;
}

}  // namespace dti::metrics
