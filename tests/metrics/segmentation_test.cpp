// Semantic segmentation scores: hand-computed matrices, the reference's "nobkg" slicing (row 0
// and column 0), absent classes, and accumulation over images.

#include "metrics/segmentation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/metrics/confusion_labels.h"
#include "tests/support/expect_error.h"

namespace dti::metrics {
namespace {

using test::error_contains;
using test::labels_from_confusion;
using Labels = std::vector<int64_t>;

TEST(SegmentationTest, HandComputedScores) {
  Labels truth, pred;
  labels_from_confusion({{5, 1, 0},  //
                         {0, 0, 4},
                         {1, 3, 0}},
                        &truth, &pred);
  SegmentationAccumulator accumulator(3);
  accumulator.update(truth, pred);
  EXPECT_EQ(accumulator.confusion(), (Labels{5, 1, 0, 0, 0, 4, 1, 3, 0}));
  EXPECT_EQ(accumulator.n_pixels(), 14);
  const SegmentationScores s = accumulator.compute();
  // Matching: class 0 → id 0, class 1 → id 2, class 2 → id 1.
  EXPECT_EQ(s.prediction_of_class, (Labels{0, 2, 1}));
  EXPECT_DOUBLE_EQ(s.global_accuracy, 12.0 / 14.0);
  EXPECT_DOUBLE_EQ(s.mean_accuracy, (5.0 / 6.0 + 1.0 + 0.75) / 3.0);
  EXPECT_DOUBLE_EQ(s.class_iou[0], 5.0 / 7.0);
  EXPECT_DOUBLE_EQ(s.class_iou[1], 1.0);
  EXPECT_DOUBLE_EQ(s.class_iou[2], 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(s.mean_iou, (5.0 / 7.0 + 1.0 + 0.6) / 3.0);
  // Without background: [[0,4],[3,0]] is matched anew and is perfect.
  EXPECT_DOUBLE_EQ(s.global_accuracy_no_background, 1.0);
  EXPECT_DOUBLE_EQ(s.mean_accuracy_no_background, 1.0);
  EXPECT_DOUBLE_EQ(s.mean_iou_no_background, 1.0);
}

TEST(SegmentationTest, NoBackgroundDropsPredictedIdZeroToo) {
  // GT class 1 is predicted entirely as id 0. The full matching is perfect, but "nobkg" slices
  // away column 0 with row 0 (the reference's confusion_matrix[1:, 1:]), so class 1 loses every
  // pixel: accuracy NaN → 0, and the means halve.
  Labels truth, pred;
  labels_from_confusion({{0, 5, 0},  //
                         {4, 0, 0},
                         {0, 0, 3}},
                        &truth, &pred);
  SegmentationAccumulator accumulator(3);
  accumulator.update(truth, pred);
  const SegmentationScores s = accumulator.compute();
  EXPECT_EQ(s.global_accuracy, 1.0);
  EXPECT_EQ(s.mean_iou, 1.0);
  EXPECT_EQ(s.global_accuracy_no_background, 1.0);
  EXPECT_DOUBLE_EQ(s.mean_accuracy_no_background, 0.5);
  EXPECT_DOUBLE_EQ(s.mean_iou_no_background, 0.5);
}

TEST(SegmentationTest, AbsentClassIsNanAndCountsZero) {
  const Labels truth = {0, 0, 1, 1}, pred = {0, 0, 1, 1};
  SegmentationAccumulator accumulator(3);
  accumulator.update(truth, pred);
  const SegmentationScores s = accumulator.compute();
  EXPECT_TRUE(std::isnan(s.class_iou[2]));
  EXPECT_TRUE(std::isnan(s.class_accuracy[2]));
  EXPECT_DOUBLE_EQ(s.mean_iou, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.mean_accuracy, 2.0 / 3.0);
  EXPECT_EQ(s.global_accuracy, 1.0);
}

TEST(SegmentationTest, NoBackgroundWithoutPixelsIsNan) {
  // Every pixel is background on one side: nothing is left after slicing, 0/0 as the reference.
  const Labels truth = {0, 0, 1}, pred = {0, 1, 0};
  SegmentationAccumulator accumulator(2);
  accumulator.update(truth, pred);
  const SegmentationScores s = accumulator.compute();
  EXPECT_TRUE(std::isnan(s.global_accuracy_no_background));
  EXPECT_EQ(s.mean_iou_no_background, 0.0);
}

TEST(SegmentationTest, AccumulatesOverImages) {
  const Labels t1 = {0, 1, 2, 2}, p1 = {0, 2, 1, 1}, t2 = {1, 1, 0}, p2 = {2, 0, 0};
  SegmentationAccumulator per_image(3), at_once(3);
  per_image.update(t1, p1);
  per_image.update(t2.data(), p2.data(), 3);
  Labels truth = t1, pred = p1;
  truth.insert(truth.end(), t2.begin(), t2.end());
  pred.insert(pred.end(), p2.begin(), p2.end());
  at_once.update(truth, pred);
  EXPECT_EQ(per_image.confusion(), at_once.confusion());
  EXPECT_EQ(per_image.compute().mean_iou, at_once.compute().mean_iou);
  per_image.reset();
  EXPECT_EQ(per_image.n_pixels(), 0);
  EXPECT_EQ(per_image.confusion(), Labels(9, 0));
}

TEST(SegmentationTest, RejectsBadInput) {
  EXPECT_TRUE(
      error_contains([] { SegmentationAccumulator(1); }, "n_classes expected in [2, 4096]"));
  EXPECT_TRUE(error_contains(
      [] {
        SegmentationAccumulator accumulator(3);
        accumulator.update(Labels{0, 1, 2}, Labels{0, 3, 1});
      },
      "label_pred expected labels in [0, 3), got 3 at index 1"));
  EXPECT_TRUE(error_contains([] { SegmentationAccumulator(3).compute(); },
                             "expected at least one pixel, got 0"));
  EXPECT_TRUE(error_contains(
      [] {
        segmentation_scores(Labels{1, 2, 3}, 2);
      },
      "confusion expected [2,2] = 4 counts, got 3"));
  // A rejected image leaves the matrix unchanged.
  SegmentationAccumulator accumulator(2);
  EXPECT_THROW(accumulator.update(Labels{0, 1, 1}, Labels{1, 1, 2}), Error);
  EXPECT_EQ(accumulator.confusion(), Labels(4, 0));
  EXPECT_EQ(accumulator.n_pixels(), 0);
}

}  // namespace
}  // namespace dti::metrics
