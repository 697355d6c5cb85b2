// Clustering scores: the reference's two mappings (Hungarian, majority class), NaN handling of
// empty classes, and NMI against sklearn's definition.

#include "metrics/clustering.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "tests/metrics/confusion_labels.h"
#include "tests/support/expect_error.h"

namespace dti::metrics {
namespace {

using test::error_contains;
using test::labels_from_confusion;
using Labels = std::vector<int64_t>;

// Textbook NMI, I(T;P) / ((H(T) + H(P)) / 2), written independently of sklearn's expression.
double textbook_nmi(const Labels& truth, const Labels& pred) {
  std::map<int64_t, double> pt, pp;
  std::map<std::pair<int64_t, int64_t>, double> joint;
  const double n = static_cast<double>(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    pt[truth[i]] += 1 / n;
    pp[pred[i]] += 1 / n;
    joint[{truth[i], pred[i]}] += 1 / n;
  }
  double mi = 0, ht = 0, hp = 0;
  for (const auto& [key, p] : joint) mi += p * std::log(p / (pt[key.first] * pp[key.second]));
  for (const auto& [key, p] : pt) ht -= p * std::log(p);
  for (const auto& [key, p] : pp) hp -= p * std::log(p);
  return mi / (0.5 * (ht + hp));
}

class ClusteringTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng_{777};
};

TEST_F(ClusteringTest, PermutedPerfectClustering) {
  const Labels truth = {0, 0, 1, 1, 2, 2}, pred = {2, 2, 0, 0, 1, 1};
  const ClusteringScores s = clustering_scores(truth, pred, 3, 3);
  EXPECT_EQ(s.global_accuracy, 1.0);
  EXPECT_EQ(s.mean_class_accuracy, 1.0);
  EXPECT_EQ(s.class_accuracy, (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(s.class_of_cluster, (Labels{1, 2, 0}));
  EXPECT_DOUBLE_EQ(s.nmi, 1.0);
  EXPECT_EQ(s.confusion_mapped, (Labels{2, 0, 0, 0, 2, 0, 0, 0, 2}));
}

TEST_F(ClusteringTest, EqualCountsUseTheHungarianAssignment) {
  // Per-cluster majority would send both clusters to class 0; the one-to-one optimum crosses
  // them (9 + 9 = 18 matched samples instead of 10).
  Labels truth, pred;
  labels_from_confusion({{10, 9}, {9, 0}}, &truth, &pred);
  const ClusteringScores s = clustering_scores(truth, pred, 2, 2);
  EXPECT_EQ(s.class_of_cluster, (Labels{1, 0}));
  EXPECT_EQ(s.confusion_raw, (Labels{10, 9, 9, 0}));
  EXPECT_EQ(s.confusion_mapped, (Labels{9, 10, 0, 9}));
  EXPECT_DOUBLE_EQ(s.global_accuracy, 18.0 / 28.0);
  EXPECT_DOUBLE_EQ(s.class_accuracy[0], 9.0 / 19.0);
  EXPECT_DOUBLE_EQ(s.class_accuracy[1], 1.0);
  EXPECT_DOUBLE_EQ(s.mean_class_accuracy, 0.5 * (9.0 / 19.0 + 1.0));
}

TEST_F(ClusteringTest, MoreClustersGoToTheirMajorityClassAndAreSummed) {
  // 3 classes, 5 clusters; cluster 3 ties between classes 1 and 2 (the first wins, as
  // np.argmax), cluster 4 is empty (argmax 0, adds nothing).
  Labels truth, pred;
  labels_from_confusion({{6, 0, 1, 0, 0},  //
                         {1, 5, 0, 2, 0},
                         {0, 1, 4, 2, 0}},
                        &truth, &pred);
  const ClusteringScores s = clustering_scores(truth, pred, 3, 5);
  EXPECT_EQ(s.class_of_cluster, (Labels{0, 1, 2, 1, 0}));
  EXPECT_EQ(s.confusion_mapped, (Labels{6, 0, 1,  //
                                        1, 7, 0,  //
                                        0, 3, 4}));
  EXPECT_DOUBLE_EQ(s.global_accuracy, 17.0 / 22.0);
  EXPECT_DOUBLE_EQ(s.class_accuracy[1], 7.0 / 8.0);
}

TEST_F(ClusteringTest, FewerClustersLeaveClassesUnmatched) {
  // 3 classes, 2 clusters: class 2 gets no cluster, so its accuracy is 0 (not NaN).
  Labels truth, pred;
  labels_from_confusion({{5, 1}, {0, 4}, {3, 2}}, &truth, &pred);
  const ClusteringScores s = clustering_scores(truth, pred, 3, 2);
  EXPECT_EQ(s.class_of_cluster, (Labels{0, 1}));
  EXPECT_EQ(s.class_accuracy[2], 0.0);
  EXPECT_DOUBLE_EQ(s.mean_class_accuracy, (5.0 / 6.0 + 1.0 + 0.0) / 3.0);
}

TEST_F(ClusteringTest, ClassWithoutSamplesIsNanButCountsZeroInTheMean) {
  const Labels truth = {0, 0, 1, 1}, pred = {0, 0, 1, 1};
  const ClusteringScores s = clustering_scores(truth, pred, 3, 3);
  EXPECT_TRUE(std::isnan(s.class_accuracy[2]));
  EXPECT_DOUBLE_EQ(s.mean_class_accuracy, 2.0 / 3.0);
  EXPECT_EQ(s.global_accuracy, 1.0);
}

TEST_F(ClusteringTest, NmiMatchesSklearnAndTheTextbook) {
  // Values of sklearn's normalized_mutual_info_score(average_method='arithmetic').
  EXPECT_NEAR(normalized_mutual_information(Labels{0, 0, 0, 1, 1, 1}, Labels{0, 0, 1, 1, 2, 2}),
              0.5158037429793889, 1e-15);
  EXPECT_EQ(normalized_mutual_information(Labels{0, 0, 1, 1}, Labels{0, 1, 0, 1}), 0.0);
  EXPECT_EQ(normalized_mutual_information(Labels{3, 3, 3}, Labels{7, 7, 7}), 1.0);
  EXPECT_EQ(normalized_mutual_information(Labels{3, 3, 3}, Labels{0, 1, 2}), 0.0);
  for (int trial = 0; trial < 50; ++trial) {
    std::uniform_int_distribution<int64_t> label(0, 2 + trial % 7), size(5, 400);
    Labels truth(size(rng_)), pred(truth.size());
    for (size_t i = 0; i < truth.size(); ++i) {
      truth[i] = label(rng_);
      pred[i] = label(rng_) < 2 ? label(rng_) : truth[i];
    }
    EXPECT_NEAR(normalized_mutual_information(truth, pred), textbook_nmi(truth, pred), 1e-12);
  }
}

TEST_F(ClusteringTest, NmiIgnoresTheIdsThemselves) {
  // Arbitrary ids (sparse, huge) give the same NMI as their ranks, and the same as the table form.
  const Labels truth = {5, 5, 900000000000, 900000000000, 7, 7, 7, 5};
  const Labels pred = {1, 2, 2, 2, 3000000000, 1, 1, 1};
  const Labels truth_rank = {0, 0, 2, 2, 1, 1, 1, 0}, pred_rank = {0, 1, 1, 1, 2, 0, 0, 0};
  const double nmi = normalized_mutual_information(truth, pred);
  EXPECT_EQ(nmi, normalized_mutual_information(truth_rank, pred_rank));
  EXPECT_NEAR(nmi, clustering_scores(truth_rank, pred_rank, 3, 3).nmi, 1e-15);
}

TEST_F(ClusteringTest, RejectsBadInput) {
  EXPECT_TRUE(error_contains(
      [] {
        clustering_scores(Labels{0, 1, 4}, Labels{0, 1, 1}, 3, 3);
      },
      "clustering_scores: label_true expected labels in [0, 3), got 4 at index 2"));
  EXPECT_TRUE(error_contains(
      [] {
        clustering_scores(Labels{0, 1, 2}, Labels{0, 1, 3}, 3, 3);
      },
      "label_pred expected labels in [0, 3), got 3 at index 2"));
  EXPECT_TRUE(error_contains([] { clustering_scores(Labels{}, Labels{}, 3, 3); },
                             "expected at least one sample, got 0"));
  EXPECT_TRUE(error_contains([] { clustering_scores(Labels{0}, Labels{0}, 0, 3); },
                             "expected n_classes >= 1 and n_clusters >= 1, got 0 and 3"));
  EXPECT_TRUE(error_contains(
      [] {
        normalized_mutual_information(Labels{0, -2}, Labels{0, 1});
      },
      "labels expected >= 0, got -2 (label_true)"));
  EXPECT_TRUE(error_contains(
      [] {
        normalized_mutual_information(Labels{0, 1}, Labels{0});
      },
      "expected the same number of elements, got 2 and 1"));
}

}  // namespace
}  // namespace dti::metrics
