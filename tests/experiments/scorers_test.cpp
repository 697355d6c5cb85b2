// The evaluation protocols' scorers on hand-made label tensors: perfect predictions score 1,
// renamed ids still score 1 (clusters and semantic ids are matched to classes), partial cases
// match values computed by hand, and out-of-range sprite ids follow the one rule.
#include "experiments/run/scorers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "experiments/run/metric_table.h"
#include "tests/support/expect_error.h"

namespace dti::experiments {
namespace {

using test::error_contains;

// Int64 tensor of `values` with `shape`.
at::Tensor labels(const std::vector<int64_t>& values, at::IntArrayRef shape) {
  return at::tensor(values, at::kLong).view(shape);
}

InstanceLabelRanges ranges(int64_t n_layers, int64_t n_sprites, int64_t n_classes) {
  InstanceLabelRanges r;
  r.n_layers = n_layers;
  r.max_objects = n_layers;
  r.n_sprites = n_sprites;
  r.n_classes = n_classes;
  return r;
}

// Instance maps whose predictions equal the truth; semantic maps when `semantic` is given.
InstanceMaps exact_maps(const at::Tensor& instance, const at::Tensor& semantic = {}) {
  InstanceMaps maps;
  maps.true_instance = maps.pred_instance = maps.pred_instance_fg = instance;
  maps.true_semantic = maps.pred_semantic = semantic;
  return maps;
}

// Two 2×3 images: instances 0..2 and their classes 0..2.
at::Tensor instance_truth() { return labels({0, 1, 1, 2, 2, 0, 1, 1, 0, 0, 2, 2}, {2, 2, 3}); }
at::Tensor semantic_truth() { return labels({0, 2, 2, 1, 1, 0, 1, 1, 0, 0, 1, 1}, {2, 2, 3}); }

TEST(InstanceScorer, PerfectPredictionScoresOne) {
  const auto instance = instance_truth(), semantic = semantic_truth();
  const Metrics m = score_instance(exact_maps(instance, semantic), ranges(2, 2, 2));
  for (const char* name : {"ari", "ari_fg", "macc", "miou", "seg_accuracy"}) {
    EXPECT_DOUBLE_EQ(m.at(name), 1.0) << name;
  }
  const Metrics without = score_instance(exact_maps(instance), ranges(2, 2, 0));
  EXPECT_EQ(without, (Metrics{{"ari", 1.0}, {"ari_fg", 1.0}})) << "no semantic masks, no mIoU";
}

TEST(InstanceScorer, RenamedLayersAndSpritesStillScoreOne) {
  const auto instance = instance_truth(), semantic = semantic_truth();
  InstanceMaps maps = exact_maps(instance, semantic);
  // Layers 1 and 2 swapped; sprite ids 1 and 2 swapped (matched back by the Hungarian step).
  maps.pred_instance = maps.pred_instance_fg = at::where(instance > 0, 3 - instance, instance);
  maps.pred_semantic = at::where(semantic > 0, 3 - semantic, semantic);
  const Metrics m = score_instance(maps, ranges(2, 2, 2));
  for (const auto& [name, value] : m) EXPECT_DOUBLE_EQ(value, 1.0) << name;
}

TEST(InstanceScorer, PartialAriMatchesTheHandComputedValue) {
  // Truth {1,1,1 | 2,2,2}, prediction {1,1,2 | 2,2,2}: Σ C(n_ij,2) = 4, row pairs 6, column
  // pairs 7, C(6,2) = 15, so ARI = (4 − 6·7/15) / ((6 + 7)/2 − 6·7/15) = 12/37.
  InstanceMaps maps = exact_maps(labels({1, 1, 1, 2, 2, 2}, {1, 2, 3}));
  maps.pred_instance = maps.pred_instance_fg = labels({1, 1, 2, 2, 2, 2}, {1, 2, 3});
  const Metrics m = score_instance(maps, ranges(2, 2, 0));
  EXPECT_NEAR(m.at("ari"), 12.0 / 37.0, 1e-12);
  EXPECT_NEAR(m.at("ari_fg"), 12.0 / 37.0, 1e-12) << "no background: the same pixels";
}

TEST(InstanceScorer, AriFgScoresTheReassignedMapOnObjectPixels) {
  InstanceMaps maps = exact_maps(labels({0, 0, 1, 1}, {1, 2, 2}));
  // Background given to the layers; the two object pixels split over two layers.
  maps.pred_instance_fg = labels({1, 1, 1, 2}, {1, 2, 2});
  const Metrics m = score_instance(maps, ranges(2, 2, 0));
  EXPECT_DOUBLE_EQ(m.at("ari"), 1.0);
  EXPECT_DOUBLE_EQ(m.at("ari_fg"), 0.0);  // one true pair, split: (0 − 0) / (1/2 − 0)
}

TEST(InstanceScorer, PartialSemanticScoresMatchTheHandComputedValues) {
  // Truth {0,1,1,2}, prediction {0,1,2,2}: identity matching, 3 of 4 pixels right; class
  // accuracies 1, 1/2, 1 and IoUs 1, 1/2, 1/2.
  const auto instance = labels({0, 1, 1, 1}, {1, 2, 2});
  InstanceMaps maps = exact_maps(instance, labels({0, 1, 1, 2}, {1, 2, 2}));
  maps.pred_semantic = labels({0, 1, 2, 2}, {1, 2, 2});
  const Metrics m = score_instance(maps, ranges(1, 2, 2));
  EXPECT_NEAR(m.at("seg_accuracy"), 3.0 / 4.0, 1e-12);
  EXPECT_NEAR(m.at("macc"), 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(m.at("miou"), 2.0 / 3.0, 1e-12);
}

TEST(InstanceScorer, SpriteIdsBeyondTheRealSpritesCountAsBackground) {
  // Two real sprites: id 3 is the empty sprite's (or two layers' ids added up), 5 a larger sum.
  EXPECT_TRUE(at::equal(semantic_classes(labels({0, 1, 2, 3, 5, -1}, {6}), 2),
                        labels({0, 1, 2, 0, 0, 0}, {6})));
  InstanceMaps maps = exact_maps(labels({0, 1, 2, 0}, {1, 2, 2}), labels({0, 1, 2, 0}, {1, 2, 2}));
  maps.pred_semantic = labels({0, 1, 2, 3}, {1, 2, 2});
  const Metrics m = score_instance(maps, ranges(2, 2, 2));
  EXPECT_DOUBLE_EQ(m.at("miou"), 1.0) << "id 3 is background, not the last sprite";
  // More classes than sprites: the confusion matrix holds both ranges.
  maps = exact_maps(labels({0, 1, 2, 3}, {1, 2, 2}), labels({0, 1, 2, 3}, {1, 2, 2}));
  maps.pred_semantic = labels({0, 1, 2, 0}, {1, 2, 2});
  EXPECT_NEAR(score_instance(maps, ranges(3, 2, 3)).at("seg_accuracy"), 3.0 / 4.0, 1e-12);
}

TEST(InstanceScorer, BatchesAccumulateAndBadInputIsExplained) {
  const auto instance = instance_truth(), semantic = semantic_truth();
  InstanceScorer scorer(ranges(2, 2, 2));
  scorer.add(exact_maps(instance.narrow(0, 0, 1), semantic.narrow(0, 0, 1)));
  scorer.add(exact_maps(instance.narrow(0, 1, 1), semantic.narrow(0, 1, 1)));
  EXPECT_EQ(scorer.images(), 2);
  EXPECT_EQ(scorer.metrics(), score_instance(exact_maps(instance, semantic), ranges(2, 2, 2)));

  InstanceMaps bad = exact_maps(instance, semantic);
  bad.pred_instance = labels({0, 1, 2, 3}, {1, 2, 2});
  EXPECT_ERROR_CONTAINS(scorer.add(bad),
                        "pred_instance expected [B=2,H,W] with H*W = 6, got "
                        "[1,2,2]");
  bad = exact_maps(instance + 1, semantic);
  EXPECT_ERROR_CONTAINS(scorer.add(bad), "label_true expected labels in [0, 3), got 3");
  EXPECT_ERROR_CONTAINS(scorer.add(exact_maps(instance)), "true_semantic is missing");
  EXPECT_ERROR_CONTAINS(InstanceScorer(ranges(0, 2, 2)), "expected n_layers >= 1");
  EXPECT_ERROR_CONTAINS(InstanceScorer(ranges(2, 2, 0)).metrics(), "at least one image");
}

TEST(ClusteringScorer, PerfectAndPermutedClustersScoreOne) {
  const auto truth = labels({0, 1, 2, 0, 1, 2}, {6});
  for (const auto& ids : {truth, (truth + 1) % 3}) {  // sprite k+1 shows class k: matched back
    const Metrics m = score_clustering(truth, ids, 3, 3);
    EXPECT_DOUBLE_EQ(m.at("accuracy"), 1.0);
    EXPECT_DOUBLE_EQ(m.at("mean_class_accuracy"), 1.0);
    EXPECT_NEAR(m.at("nmi"), 1.0, 1e-12);
  }
}

TEST(ClusteringScorer, PartialClusteringMatchesTheHandComputedValues) {
  // Classes {0,0,1,1}, sprites {0,0,0,1}: sprite k ↔ class k, 3 of 4 right; NMI = I / mean(H).
  const Metrics m = score_clustering(labels({0, 0, 1, 1}, {4}), labels({0, 0, 0, 1}, {4}), 2, 2);
  EXPECT_DOUBLE_EQ(m.at("accuracy"), 0.75);
  EXPECT_DOUBLE_EQ(m.at("mean_class_accuracy"), 0.75);  // (2/2 + 1/2) / 2
  const double mi = 0.5 * std::log(4.0 / 3.0) + 0.25 * std::log(2.0 / 3.0) + 0.25 * std::log(2.0);
  const double h_classes = std::log(2.0);
  const double h_sprites = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25));
  EXPECT_NEAR(m.at("nmi"), mi / ((h_classes + h_sprites) / 2), 1e-12);
}

TEST(ClusteringScorer, TheEmptySpriteIsAClusterAndLargerIdsAreRejected) {
  // Two classes, two real sprites and the empty one (id 2): three clusters, so each goes to its
  // majority class (the empty sprite's single image is class 0's).
  const Metrics m = score_clustering(labels({0, 0, 1, 1}, {4}), labels({0, 2, 1, 1}, {4}), 2, 3);
  EXPECT_DOUBLE_EQ(m.at("accuracy"), 1.0);
  EXPECT_TRUE(error_contains(
      [] {
        score_clustering(labels({0, 1}, {2}), labels({0, 3}, {2}), 2, 3);
      },
      "label_pred expected labels in [0, 3), got 3"));
  EXPECT_TRUE(error_contains(
      [] {
        ClusteringScorer(2, 2).add(labels({0, 1}, {2}), labels({0}, {1}));
      },
      "expected labels [B] and sprite_ids [B], got [2] and [1]"));
  EXPECT_ERROR_CONTAINS(ClusteringScorer(2, 2).metrics(), "at least one sample");
}

TEST(ClusteringScorer, BatchesAccumulate) {
  ClusteringScorer scorer(2, 2);
  scorer.add(labels({0, 0}, {2}), labels({0, 0}, {2}));
  scorer.add(labels({1, 1}, {2}), labels({0, 1}, {2}));
  EXPECT_EQ(scorer.images(), 4);
  EXPECT_EQ(scorer.metrics(),
            score_clustering(labels({0, 0, 1, 1}, {4}), labels({0, 0, 0, 1}, {4}), 2, 2));
}

TEST(CosegmentationScorer, ForegroundIsAMaskAboveOneHalf) {
  const auto truth = labels({0, 2, 1, 0}, {1, 2, 2});  // any object id is foreground
  const auto perfect = at::tensor({0.1f, 0.9f, 0.8f, 0.0f}).view({1, 1, 2, 2});
  EXPECT_EQ(score_cosegmentation(truth, perfect),
            (Metrics{{"accuracy", 1.0}, {"iou", 1.0}, {"iou_fg", 1.0}}));
  // Predicted foreground {0,1,0,1}: pixels 0 and 1 right.
  const auto partial = at::tensor({0.2f, 0.7f, 0.4f, 0.6f}).view({1, 2, 2});
  EXPECT_DOUBLE_EQ(score_cosegmentation(truth, partial).at("accuracy"), 0.5);
  const auto edge = at::tensor({0.5f, 0.51f}).view({1, 1, 2});
  EXPECT_DOUBLE_EQ(score_cosegmentation(labels({0, 1}, {1, 1, 2}), edge).at("accuracy"), 1.0);

  CosegmentationScorer scorer;
  scorer.add(truth, perfect);
  scorer.add(truth, partial);
  EXPECT_EQ(scorer.images(), 2);
  EXPECT_DOUBLE_EQ(scorer.metrics().at("accuracy"), 0.75);
  EXPECT_ERROR_CONTAINS(scorer.add(truth, partial.view({1, 4})), "pred_masks expected [B=1,H,W]");
  EXPECT_ERROR_CONTAINS(CosegmentationScorer().metrics(), "at least one");
}

TEST(CosegmentationScorer, InvertedPredictionIsMatchedBeforeScoring) {
  // A model whose sprite mask covers the background scores as the authors score it: after the
  // Hungarian swap of the 2x2 matrix (docs/evaluation.md#cosegmentation).
  const auto truth = labels({0, 1, 1, 0}, {1, 2, 2});
  const auto inverted = at::tensor({0.9f, 0.1f, 0.2f, 0.3f}).view({1, 1, 2, 2});  // 3 of 4 swapped
  const auto m = score_cosegmentation(truth, inverted);
  EXPECT_DOUBLE_EQ(m.at("accuracy"), 0.75);
  EXPECT_DOUBLE_EQ(m.at("iou_fg"), 2.0 / 3.0);  // truth {1,2}, matched prediction {1,2,3}
  EXPECT_DOUBLE_EQ(m.at("iou"), (2.0 / 3.0 + 0.5) / 2.0);  // background {0,3} vs {0}
}

// Every key a scorer writes is in the one metric table, as a fraction
// (experiments/run/metric_table.h).
TEST(MetricTable, EveryScorersKeyIsAFractionInTheTable) {
  const auto truth = labels({0, 1, 2, 0, 1, 2}, {6});
  const auto coseg = labels({0, 2, 1, 0}, {1, 2, 2});
  const auto pred = at::tensor({0.1f, 0.9f, 0.8f, 0.0f}).view({1, 1, 2, 2});
  for (const Metrics& m :
       {score_instance(exact_maps(instance_truth(), semantic_truth()), ranges(2, 2, 2)),
        score_clustering(truth, truth, 3, 3), score_cosegmentation(coseg, pred)}) {
    for (const auto& [key, value] : m) {
      const auto* info = find_metric(key);
      ASSERT_NE(info, nullptr) << key;
      EXPECT_TRUE(info->fraction) << key;
      EXPECT_EQ(format_metric(key, 0.9341), "93.4") << key;
    }
  }
  EXPECT_EQ(format_metric("loss", 0.012345), "0.01235");
  EXPECT_EQ(format_metric("eval_images", 320), "320");
  EXPECT_EQ(headline_metrics({{"loss", 0.5}, {"iou", 0.2}, {"ari_fg", 0.25}}),
            "ari_fg=0.25 loss=0.5");
}

}  // namespace
}  // namespace dti::experiments
