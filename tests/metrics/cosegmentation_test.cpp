// Cosegmentation: pooled 2x2 confusion matrix, Hungarian-matched accuracy and IoU, binary masks.

#include "metrics/cosegmentation.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/expect_error.h"

namespace dti::metrics {
namespace {

using test::error_contains;
using Labels = std::vector<int64_t>;

TEST(CosegmentationTest, PoolsPixelsOverImages) {
  CosegmentationAccumulator accumulator;
  accumulator.update(Labels{1, 1, 0, 0}, Labels{1, 0, 0, 0});  // 3 of 4 correct
  accumulator.update(Labels{0, 1}, Labels{1, 0});              // 0 of 2 correct
  EXPECT_EQ(accumulator.n_correct(), 3);
  EXPECT_EQ(accumulator.n_pixels(), 6);
  EXPECT_EQ(accumulator.n_images(), 2);
  // Pooled 3/6, not the mean of per-image accuracies (0.75 + 0) / 2.
  EXPECT_DOUBLE_EQ(accumulator.accuracy(), 0.5);
  accumulator.reset();
  EXPECT_EQ(accumulator.n_pixels(), 0);
}

TEST(CosegmentationTest, InvertedPredictionIsScoredAfterTheSwap) {
  // The authors match the 2x2 confusion matrix with the Hungarian algorithm (docs/evaluation.md
  // #cosegmentation): a run that learned the horse as "background" scores as if it had not.
  CosegmentationAccumulator accumulator;
  const Labels truth = {0, 1, 1, 0, 1, 0}, pred = {1, 0, 0, 1, 1, 1};  // 5 of 6 inverted
  accumulator.update(truth.data(), pred.data(), 6);
  EXPECT_TRUE(accumulator.swapped());
  EXPECT_EQ(accumulator.n_correct(), 5);
  EXPECT_DOUBLE_EQ(accumulator.accuracy(), 5.0 / 6.0);
  // Foreground: truth {1, 2, 4}, matched prediction (0) at {1, 2} -> IoU 2/3; background: truth
  // {0, 3, 5}, matched prediction (1) at {0, 3, 4, 5} -> IoU 3/4.
  EXPECT_DOUBLE_EQ(accumulator.foreground_iou(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(accumulator.mean_iou(), (2.0 / 3.0 + 3.0 / 4.0) / 2.0);
}

TEST(CosegmentationTest, FullyInvertedMaskScoresOne) {
  CosegmentationAccumulator accumulator;
  const Labels truth = {0, 1, 1, 0, 1}, pred = {1, 0, 0, 1, 0};
  accumulator.update(truth.data(), pred.data(), 5);
  EXPECT_EQ(accumulator.accuracy(), 1.0);
  EXPECT_EQ(accumulator.mean_iou(), 1.0);
  EXPECT_EQ(accumulator.foreground_iou(), 1.0);
}

TEST(CosegmentationTest, IouOfAnUnswappedPrediction) {
  CosegmentationAccumulator accumulator;
  accumulator.update(Labels{0, 0, 0, 1, 1, 1}, Labels{0, 0, 1, 1, 1, 0});
  EXPECT_FALSE(accumulator.swapped());
  EXPECT_EQ(accumulator.confusion(), (Labels{2, 1, 1, 2}));
  EXPECT_DOUBLE_EQ(accumulator.accuracy(), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(accumulator.foreground_iou(), 0.5);
  EXPECT_DOUBLE_EQ(accumulator.mean_iou(), 0.5);
}

TEST(CosegmentationTest, RejectsBadInput) {
  EXPECT_TRUE(error_contains(
      [] {
        CosegmentationAccumulator().update(Labels{0, 255}, Labels{0, 1});
      },
      "label_true expected labels in [0, 2), got 255 at index 1; foreground masks must "
      "hold 0 (background) or 1 (foreground)"));
  EXPECT_TRUE(error_contains(
      [] {
        CosegmentationAccumulator().update(Labels{0, 1}, Labels{0});
      },
      "expected the same number of elements, got 2 and 1"));
  EXPECT_TRUE(error_contains([] { CosegmentationAccumulator().accuracy(); },
                             "expected at least one pixel, got 0"));
  EXPECT_TRUE(error_contains([] { CosegmentationAccumulator().mean_iou(); },
                             "expected at least one pixel, got 0"));
}

}  // namespace
}  // namespace dti::metrics
