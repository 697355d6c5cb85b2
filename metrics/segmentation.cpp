#include "metrics/segmentation.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "base/error.h"
#include "metrics/contingency.h"
#include "metrics/hungarian.h"

namespace dti::metrics {

namespace {

// Scores of one square matrix after its own Hungarian matching: the body of the reference's
// `for withbkg in [False, True]` loop.
struct MatchedScores {
  double global_accuracy;
  double mean_accuracy;
  double mean_iou;
  std::vector<double> class_accuracy;
  std::vector<double> class_iou;
  std::vector<int64_t> prediction_of_class;
};

MatchedScores score_matched(const std::vector<double>& hist, int64_t n) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  MatchedScores out;
  // linear_sum_assignment(-hist)[1]; hist[:, assignment] puts the matched column on the diagonal.
  out.prediction_of_class = linear_sum_assignment(hist, n, n, Objective::kMaximize);
  std::vector<double> column_sums(n, 0.0);
  double total = 0.0;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      column_sums[c] += hist[r * n + c];
      total += hist[r * n + c];
    }
  }
  double matched = 0.0, accuracy_sum = 0.0, iou_sum = 0.0;
  out.class_accuracy.resize(n);
  out.class_iou.resize(n);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t c = out.prediction_of_class[r];
    double row_sum = 0.0;
    for (int64_t j = 0; j < n; ++j) row_sum += hist[r * n + j];
    const double diagonal = hist[r * n + c];
    const double union_size = row_sum + column_sums[c] - diagonal;
    matched += diagonal;
    // 0/0 is NaN as in numpy; np.nan_to_num turns it into 0 in the means.
    out.class_accuracy[r] = row_sum > 0.0 ? diagonal / row_sum : nan;
    out.class_iou[r] = union_size > 0.0 ? diagonal / union_size : nan;
    if (row_sum > 0.0) accuracy_sum += out.class_accuracy[r];
    if (union_size > 0.0) iou_sum += out.class_iou[r];
  }
  out.global_accuracy = total > 0.0 ? matched / total : nan;
  out.mean_accuracy = accuracy_sum / static_cast<double>(n);
  out.mean_iou = iou_sum / static_cast<double>(n);
  return out;
}

}  // namespace

SegmentationScores segmentation_scores(const std::vector<int64_t>& confusion, int64_t n_classes) {
  DTI_CHECK(n_classes >= 2,
            "segmentation_scores: n_classes expected >= 2 (background and at least one class), "
            "got ",
            n_classes);
  DTI_CHECK(static_cast<int64_t>(confusion.size()) == n_classes * n_classes,
            "segmentation_scores: confusion expected [", n_classes, ",", n_classes,
            "] = ", n_classes * n_classes, " counts, got ", confusion.size());
  int64_t total = 0;
  for (const int64_t count : confusion) {
    DTI_CHECK(count >= 0, "segmentation_scores: counts expected >= 0, got ", count);
    total += count;
  }
  DTI_CHECK(total > 0,
            "segmentation_scores: expected at least one pixel, got 0; call update() "
            "for every evaluated image first");
  const int64_t n = n_classes;
  const std::vector<double> full(confusion.begin(), confusion.end());
  // "nobkg": the reference slices confusion_matrix[1:, 1:], dropping GT class 0 *and* predicted
  // id 0 (golden README, caveat 15), and matches that (n−1)² matrix anew.
  std::vector<double> reduced((n - 1) * (n - 1));
  for (int64_t r = 1; r < n; ++r) {
    for (int64_t c = 1; c < n; ++c) reduced[(r - 1) * (n - 1) + (c - 1)] = full[r * n + c];
  }
  const MatchedScores without = score_matched(reduced, n - 1);
  MatchedScores with = score_matched(full, n);

  SegmentationScores scores;
  scores.global_accuracy = with.global_accuracy;
  scores.mean_accuracy = with.mean_accuracy;
  scores.mean_iou = with.mean_iou;
  scores.global_accuracy_no_background = without.global_accuracy;
  scores.mean_accuracy_no_background = without.mean_accuracy;
  scores.mean_iou_no_background = without.mean_iou;
  scores.class_iou = std::move(with.class_iou);
  scores.class_accuracy = std::move(with.class_accuracy);
  scores.prediction_of_class = std::move(with.prediction_of_class);
  return scores;
}

SegmentationAccumulator::SegmentationAccumulator(int64_t n_classes) : n_classes_(n_classes) {
  DTI_CHECK(n_classes >= 2 && n_classes <= 4096,
            "SegmentationAccumulator: n_classes expected in [2, 4096] (background included), got ",
            n_classes);
  confusion_.assign(n_classes * n_classes, 0);
}

void SegmentationAccumulator::update(const int64_t* truth, const int64_t* pred, int64_t size) {
  check_label_arrays("SegmentationAccumulator::update", truth, size, pred, size);
  add_to_contingency("SegmentationAccumulator::update", truth, pred, size, n_classes_, n_classes_,
                     confusion_.data(), "; n_classes (background included) must exceed every id");
  n_pixels_ += size;
}

void SegmentationAccumulator::update(const std::vector<int64_t>& truth,
                                     const std::vector<int64_t>& pred) {
  check_label_arrays("SegmentationAccumulator::update", truth.data(),
                     static_cast<int64_t>(truth.size()), pred.data(),
                     static_cast<int64_t>(pred.size()));
  update(truth.data(), pred.data(), static_cast<int64_t>(truth.size()));
}

void SegmentationAccumulator::reset() {
  std::fill(confusion_.begin(), confusion_.end(), 0);
  n_pixels_ = 0;
}

}  // namespace dti::metrics
