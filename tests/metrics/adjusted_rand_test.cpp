// ARI and ARI-FG: against a brute-force pair count, sklearn's documented values, the reference's
// edge cases, and exactness on maps where floating-point pair sums would lose the answer.

#include "metrics/adjusted_rand.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/support/expect_error.h"

namespace dti::metrics {
namespace {

using test::error_contains;
using Labels = std::vector<int64_t>;

// ARI by enumerating every pair (O(n²)) and sklearn's pair-confusion formula, a computation
// independent of the contingency-table one under test.
double brute_force_ari(const Labels& truth, const Labels& pred) {
  long double both = 0, truth_only = 0, pred_only = 0, neither = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    for (size_t j = i + 1; j < truth.size(); ++j) {
      const bool same_truth = truth[i] == truth[j], same_pred = pred[i] == pred[j];
      both += same_truth && same_pred;
      truth_only += same_truth && !same_pred;
      pred_only += !same_truth && same_pred;
      neither += !same_truth && !same_pred;
    }
  }
  if (truth_only == 0 && pred_only == 0) return 1.0;
  return static_cast<double>(
      2.0L * (both * neither - truth_only * pred_only) /
      ((both + truth_only) * (truth_only + neither) + (both + pred_only) * (pred_only + neither)));
}

// The foreground pixels (truth != 0) of both maps.
std::pair<Labels, Labels> foreground(const Labels& truth, const Labels& pred) {
  Labels t, p;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] != 0) {
      t.push_back(truth[i]);
      p.push_back(pred[i]);
    }
  }
  return {t, p};
}

class AdjustedRandTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng_{4242};
};

TEST_F(AdjustedRandTest, MatchesBruteForcePairCounting) {
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t n_labels = 2 + trial % 6;
    std::uniform_int_distribution<int64_t> size(0, 60), label(0, n_labels - 1);
    Labels truth(size(rng_)), pred(truth.size());
    for (size_t i = 0; i < truth.size(); ++i) {
      truth[i] = label(rng_);
      // Half the trials correlate the maps, so ARI spans its range rather than hovering at 0.
      pred[i] = trial % 2 == 0 ? label(rng_) : (label(rng_) < 1 ? label(rng_) : truth[i]);
    }
    SCOPED_TRACE(testing::Message() << "trial " << trial << ", " << truth.size() << " pixels");
    EXPECT_NEAR(adjusted_rand_index(truth, pred, n_labels), brute_force_ari(truth, pred), 1e-13);
    const auto [t, p] = foreground(truth, pred);
    EXPECT_NEAR(adjusted_rand_index_foreground(truth, pred, n_labels), brute_force_ari(t, p),
                1e-13);
  }
}

TEST_F(AdjustedRandTest, SklearnDocumentedValues) {
  // sklearn.metrics.adjusted_rand_score documentation examples.
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{0, 0, 1, 1}, Labels{1, 1, 0, 0}, 2), 1.0);
  EXPECT_NEAR(adjusted_rand_index(Labels{0, 0, 1, 2}, Labels{0, 0, 1, 1}, 3), 4.0 / 7.0, 1e-15);
  EXPECT_NEAR(adjusted_rand_index(Labels{0, 0, 1, 1}, Labels{0, 0, 1, 2}, 3), 4.0 / 7.0, 1e-15);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{0, 0, 0, 0}, Labels{0, 1, 2, 3}, 4), 0.0);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{0, 0, 1, 1}, Labels{0, 1, 0, 1}, 2), -0.5);
}

TEST_F(AdjustedRandTest, IsSymmetric) {
  std::uniform_int_distribution<int64_t> label(0, 4);
  Labels a(200), b(200);
  for (size_t i = 0; i < a.size(); ++i) a[i] = label(rng_), b[i] = label(rng_);
  EXPECT_EQ(adjusted_rand_index(a, b, 5), adjusted_rand_index(b, a, 5));
}

TEST_F(AdjustedRandTest, ReferenceEdgeCases) {
  // A single GT label against several predicted ones: 0.
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{2, 2, 2, 2}, Labels{0, 1, 1, 3}, 4), 0.0);
  // One label in both maps: all four pair sums equal, 1.0.
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{1, 1, 1}, Labels{3, 3, 3}, 4), 1.0);
  // One pixel, and no pixel at all: 1.0.
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{1}, Labels{0}, 4), 1.0);
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{}, Labels{}, 4), 1.0);
  // GT only background: ARI-FG sees no pixel and gives 1.0, as the reference.
  EXPECT_DOUBLE_EQ(adjusted_rand_index_foreground(Labels{0, 0, 0}, Labels{0, 1, 2}, 4), 1.0);
  // One foreground pixel: 1.0.
  EXPECT_DOUBLE_EQ(adjusted_rand_index_foreground(Labels{0, 3, 0}, Labels{1, 2, 1}, 4), 1.0);
  // Both maps all singletons: the reference divides 0 by 0; like sklearn we return 1.0.
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{0, 1, 2, 3}, Labels{3, 0, 1, 2}, 4), 1.0);
  // GT all singletons, prediction one cluster: no agreement beyond chance, 0.
  EXPECT_DOUBLE_EQ(adjusted_rand_index(Labels{0, 1, 2, 3}, Labels{1, 1, 1, 1}, 4), 0.0);
}

TEST_F(AdjustedRandTest, PairCountsAreExactIntegers) {
  const Labels truth = {1, 1, 1, 2, 2, 0, 0, 0, 0};
  const Labels pred = {1, 1, 2, 2, 2, 0, 0, 1, 1};
  std::vector<int64_t> table(9, 0);
  for (size_t i = 0; i < truth.size(); ++i) ++table[truth[i] * 3 + pred[i]];
  const PairCounts all = pair_counts(table.data(), 3, 3);
  EXPECT_EQ(all.n_elements, 9);
  EXPECT_EQ(all.all_pairs, 36u);
  EXPECT_EQ(all.together_in_truth, 3u + 1u + 6u);      // rows 3, 2, 4
  EXPECT_EQ(all.together_in_pred, 1u + 6u + 3u);       // columns 2, 4, 3
  EXPECT_EQ(all.together_in_both, 1u + 1u + 1u + 1u);  // cells (1,1)=2 (2,2)=2 (0,0)=2 (0,1)=2
  const PairCounts fg = pair_counts(table.data(), 3, 3, 1);
  EXPECT_EQ(fg.n_elements, 5);
  EXPECT_EQ(fg.all_pairs, 10u);
}

TEST_F(AdjustedRandTest, ExactAtFourMillionPixels) {
  // truth = i mod 3, pred = i mod 4 over N = 12m pixels: every cell of the 3x4 table holds m
  // pixels, and the exact ARI is −N²/(4(N−1)) / ((c+k)/2 − ck/n). Its numerator (~N/4) is the
  // difference of two pair sums of ~N²/24, so evaluating t − ck/n in double cancels 6 of the 16
  // digits (relative error ~1e-10); the integer formula keeps all of them.
  const int64_t m = 349525, n_pixels = 12 * m;
  Labels truth(n_pixels), pred(n_pixels);
  for (int64_t i = 0; i < n_pixels; ++i) truth[i] = i % 3, pred[i] = i % 4;
  const long double N = n_pixels;
  const long double c = 3 * (N / 3) * (N / 3 - 1) / 2, k = 4 * (N / 4) * (N / 4 - 1) / 2;
  const long double n = N * (N - 1) / 2;
  const double expected = static_cast<double>(-(N * N / (4 * (N - 1))) / ((c + k) / 2 - c * k / n));
  const double ari = adjusted_rand_index(truth, pred, 4);
  EXPECT_LT(ari, 0.0);
  EXPECT_NEAR(ari, expected, 1e-14 * std::abs(expected)) << "expected " << expected;
}

TEST_F(AdjustedRandTest, AccumulatorAveragesImages) {
  AriAccumulator accumulator(4);
  const Labels t1 = {0, 0, 1, 1, 2, 2}, p1 = {0, 0, 1, 1, 2, 2};  // ARI 1, ARI-FG 1
  const Labels t2 = {0, 0, 1, 1, 2, 2}, p2 = {0, 1, 0, 1, 0, 1};  // both < 1
  const ImageAri first = accumulator.update(t1.data(), p1.data(), 6);
  const ImageAri second = accumulator.update(t2.data(), p2.data(), 6);
  EXPECT_EQ(first.ari, 1.0);
  EXPECT_EQ(first.n_pixels, 6);
  EXPECT_EQ(first.n_foreground, 4);
  EXPECT_EQ(second.ari, adjusted_rand_index(t2, p2, 4));
  EXPECT_EQ(second.ari_foreground, adjusted_rand_index_foreground(t2, p2, 4));
  EXPECT_EQ(accumulator.count(), 2);
  EXPECT_DOUBLE_EQ(accumulator.mean_ari(), 0.5 * (1.0 + second.ari));
  EXPECT_DOUBLE_EQ(accumulator.mean_ari_foreground(), 0.5 * (1.0 + second.ari_foreground));

  // update_batch over the two images stored back to back gives the same per-image scores.
  AriAccumulator batched(4);
  Labels truth = t1, pred = p1;
  truth.insert(truth.end(), t2.begin(), t2.end());
  pred.insert(pred.end(), p2.begin(), p2.end());
  batched.update_batch(truth.data(), pred.data(), 2, 6);
  EXPECT_EQ(batched.mean_ari(), accumulator.mean_ari());
  EXPECT_EQ(batched.mean_ari_foreground(), accumulator.mean_ari_foreground());

  accumulator.reset();
  EXPECT_EQ(accumulator.count(), 0);
}

TEST_F(AdjustedRandTest, ForegroundScoreCanUseItsOwnMap) {
  // docs/evaluation.md: ARI-FG is scored after predicted-background pixels went to object layers,
  // ARI on the map as composed. Pixel 2 (GT object 1) is predicted background in `pred` only.
  const Labels truth = {0, 1, 1, 2, 2, 0}, pred = {0, 1, 0, 2, 2, 0}, pred_fg = {1, 1, 1, 2, 2, 1};
  AriAccumulator accumulator(3);
  const ImageAri both = accumulator.update(truth.data(), pred.data(), pred_fg.data(), 6);
  EXPECT_EQ(both.ari, adjusted_rand_index(truth, pred, 3));
  EXPECT_EQ(both.ari_foreground, adjusted_rand_index_foreground(truth, pred_fg, 3));
  EXPECT_EQ(both.ari_foreground, 1.0);
  EXPECT_LT(adjusted_rand_index_foreground(truth, pred, 3), 1.0);
  EXPECT_EQ(both.n_foreground, 4);
  // A bad id in the second map leaves the accumulator unchanged.
  const Labels bad = {0, 1, 1, 2, 2, 3};
  EXPECT_TRUE(error_contains(
      [&] { accumulator.update(truth.data(), pred.data(), bad.data(), 6); },
      "adjusted_rand_index_foreground: label_pred expected labels in [0, 3), got 3"));
  EXPECT_EQ(accumulator.count(), 1);
}

TEST_F(AdjustedRandTest, RejectsBadInput) {
  EXPECT_TRUE(error_contains(
      [] {
        adjusted_rand_index(Labels{0, 1, 2, 3, 1, 7}, Labels{0, 1, 2, 3, 1, 2}, 4);
      },
      "label_true expected labels in [0, 4), got 7 at index 5"));
  EXPECT_TRUE(error_contains(
      [] {
        adjusted_rand_index(Labels{0, 1}, Labels{0, -1}, 4);
      },
      "label_pred expected labels in [0, 4), got -1 at index 1"));
  EXPECT_TRUE(error_contains(
      [] {
        adjusted_rand_index(Labels{0, 1, 2}, Labels{0, 1}, 4);
      },
      "expected the same number of elements, got 3 and 2"));
  EXPECT_TRUE(error_contains([] { AriAccumulator(0); }, "n_labels expected in [1, 1024]"));
  EXPECT_TRUE(
      error_contains([] { AriAccumulator(4).mean_ari(); }, "expected at least one image, got 0"));
  EXPECT_TRUE(error_contains([] { AriAccumulator(4).mean_ari_foreground(); },
                             "expected at least one image, got 0"));
  const Labels one = {0};
  EXPECT_TRUE(error_contains(
      [&] { AriAccumulator(4).update(one.data(), one.data(), (int64_t{1} << 32) + 1); },
      "at most 2^32 elements"));

  // A rejected image leaves the accumulator as it was.
  AriAccumulator accumulator(2);
  const Labels good = {0, 1}, bad = {0, 2};
  accumulator.update(good.data(), good.data(), 2);
  EXPECT_THROW(accumulator.update(good.data(), bad.data(), 2), Error);
  EXPECT_EQ(accumulator.count(), 1);
  EXPECT_EQ(accumulator.mean_ari(), 1.0);
}

}  // namespace
}  // namespace dti::metrics
