// Cosegmentation accuracy: pooled share of correctly labelled pixels, binary masks only.

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

TEST(CosegmentationTest, InvertedMaskScoresZero) {
  CosegmentationAccumulator accumulator;
  const Labels truth = {0, 1, 1, 0, 1}, pred = {1, 0, 0, 1, 0};
  accumulator.update(truth.data(), pred.data(), 5);
  EXPECT_EQ(accumulator.accuracy(), 0.0);
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
}

}  // namespace
}  // namespace dti::metrics
