#include "metrics/cosegmentation.h"

#include "base/error.h"
#include "metrics/contingency.h"

namespace dti::metrics {

void CosegmentationAccumulator::update(const int64_t* truth, const int64_t* pred, int64_t size) {
  // A 2x2 contingency table validates that both masks are binary (anything else, e.g. a 0/255
  // mask, is refused rather than silently read as foreground) and counts the agreements.
  int64_t table[4] = {0, 0, 0, 0};
  check_label_arrays("CosegmentationAccumulator::update", truth, size, pred, size);
  add_to_contingency("CosegmentationAccumulator::update", truth, pred, size, 2, 2, table,
                     "; foreground masks must hold 0 (background) or 1 (foreground)");
  n_correct_ += table[0] + table[3];
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
  // docs/evaluation.md#cosegmentation: correct pixels pooled over all images (paper Table 4). With
  // equal image sizes (Weizmann Horse at 128x128) this equals the mean of per-image accuracies.
  DTI_CHECK(n_pixels_ > 0,
            "CosegmentationAccumulator::accuracy: expected at least one pixel, "
            "got 0; call update() for every evaluated image first");
  return static_cast<double>(n_correct_) / static_cast<double>(n_pixels_);
}

}  // namespace dti::metrics
