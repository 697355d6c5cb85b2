// Parity with the authors' metrics (tests/golden/metrics.h5, schema in tests/golden/README.md
// section 6): every case of the file, at the README's tolerances (ARI, accuracies and IoU
// 1e-12; NMI 1e-10; counts exact).

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/adjusted_rand.h"
#include "metrics/clustering.h"
#include "metrics/segmentation.h"
#include "tests/support/golden_h5.h"

namespace dti::metrics {
namespace {

using test::GoldenFile;

constexpr double kTolerance = 1e-12;     // ARI, accuracies, IoU (README section "How to compare")
constexpr double kNmiTolerance = 1e-10;  // NMI

// Same length and max |actual − expected| <= tol (NaN equals NaN); otherwise names the worst
// element.
::testing::AssertionResult all_close(const std::vector<double>& actual,
                                     const std::vector<double>& expected, double tol) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "length " << actual.size() << " != expected " << expected.size();
  }
  double worst_error = 0.0;
  size_t worst = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const bool both_nan = std::isnan(actual[i]) && std::isnan(expected[i]);
    const double error = both_nan ? 0.0 : std::abs(actual[i] - expected[i]);
    if (!(error <= worst_error)) {  // NaN error counts as worst
      worst_error = error;
      worst = i;
    }
  }
  if (worst_error <= tol) return ::testing::AssertionSuccess();
  std::ostringstream message;
  message << "max abs error " << worst_error << " > " << tol << " at index " << worst;
  message.precision(17);
  message << " (actual " << actual[worst] << ", expected " << expected[worst] << ")";
  return ::testing::AssertionFailure() << message.str();
}

// A scalar dataset against a computed value.
::testing::AssertionResult scalar_close(double actual, const GoldenFile& file,
                                        const std::string& group, const std::string& name,
                                        double tol) {
  const auto expected = file.read_double(group, name);
  if (expected.numel() != 1) {
    return ::testing::AssertionFailure() << name << ": expected a scalar dataset";
  }
  return all_close({actual}, expected.values, tol) << " [" << name << "]";
}

// Integer counts against a dataset stored as int64 or float64.
std::vector<double> as_double(const std::vector<int64_t>& values) {
  return std::vector<double>(values.begin(), values.end());
}

// The case names of `metric` ("ari", "scores" or "segmentation").
std::vector<std::string> cases_of(const GoldenFile& file, const std::string& metric) {
  std::vector<std::string> names;
  for (const std::string& name : file.cases()) {
    if (file.attr_string(name, "metric") == metric) names.push_back(name);
  }
  return names;
}

class MetricsGoldenTest : public ::testing::Test {
 protected:
  GoldenFile file_{test::golden_path("metrics.h5")};
};

TEST_F(MetricsGoldenTest, EveryCaseHasAKnownMetric) {
  const std::set<std::string> known = {"ari", "scores", "segmentation"};
  std::map<std::string, int> per_kind;
  for (const std::string& name : file_.cases()) {
    const std::string metric = file_.attr_string(name, "metric");
    EXPECT_EQ(known.count(metric), 1u)
        << name << " has metric '" << metric << "', which no test here checks";
    ++per_kind[metric];
  }
  for (const std::string& metric : known) EXPECT_GT(per_kind[metric], 0) << metric;
}

TEST_F(MetricsGoldenTest, AdjustedRandIndexMatchesReference) {
  const std::vector<std::string> cases = cases_of(file_, "ari");
  ASSERT_FALSE(cases.empty());
  for (const std::string& name : cases) {
    SCOPED_TRACE(name + " (" + file_.attr_string(name, "name") + ")");
    const auto truth = file_.read_int64(name, "label_true");
    const auto pred = file_.read_int64(name, "label_pred");
    const int64_t n_labels = file_.attr_int(name, "n_instances");
    AriAccumulator accumulator(n_labels);
    const ImageAri scores =
        accumulator.update(truth.values.data(), pred.values.data(), truth.numel());
    EXPECT_TRUE(scalar_close(scores.ari, file_, name, "ari_with_bkg", kTolerance));
    EXPECT_TRUE(scalar_close(scores.ari_foreground, file_, name, "ari_no_bkg", kTolerance));
    EXPECT_TRUE(scalar_close(scores.ari, file_, name, "sklearn_ari_with_bkg", kTolerance));
    EXPECT_TRUE(scalar_close(scores.ari_foreground, file_, name, "sklearn_ari_no_bkg", kTolerance));
    EXPECT_EQ(scores.n_pixels, file_.attr_int(name, "n_used_with_bkg"));
    EXPECT_EQ(scores.n_foreground, file_.attr_int(name, "n_used_no_bkg"));
    EXPECT_EQ(accumulator.mean_ari(), scores.ari);
  }
}

TEST_F(MetricsGoldenTest, ClusteringScoresMatchReference) {
  const std::vector<std::string> cases = cases_of(file_, "scores");
  ASSERT_FALSE(cases.empty());
  for (const std::string& name : cases) {
    SCOPED_TRACE(name + " (" + file_.attr_string(name, "mapping") + ")");
    const auto truth = file_.read_int64(name, "labels_true");
    const auto pred = file_.read_int64(name, "labels_pred");
    const int64_t n_classes = file_.attr_int(name, "n_classes");
    const int64_t n_clusters = file_.attr_int(name, "n_clusters");
    EXPECT_EQ(file_.attr_string(name, "mapping"),
              n_classes == n_clusters ? "hungarian" : "argmax_per_cluster");
    const ClusteringScores s = clustering_scores(truth.values, pred.values, n_classes, n_clusters);
    const auto raw = file_.read_int64(name, "confusion_raw");
    const auto mapped = file_.read_int64(name, "confusion_mapped");
    EXPECT_EQ(raw.shape, (std::vector<int64_t>{n_classes, n_clusters}));
    EXPECT_EQ(mapped.shape, (std::vector<int64_t>{n_classes, n_classes}));
    EXPECT_TRUE(all_close(as_double(s.confusion_raw), as_double(raw.values), 0.0))
        << " [confusion_raw]";
    EXPECT_TRUE(all_close(as_double(s.confusion_mapped), as_double(mapped.values), 0.0))
        << " [confusion_mapped]";
    EXPECT_TRUE(scalar_close(s.nmi, file_, name, "nmi", kNmiTolerance));
    EXPECT_TRUE(scalar_close(s.global_accuracy, file_, name, "global_acc", kTolerance));
    EXPECT_TRUE(scalar_close(s.mean_class_accuracy, file_, name, "avg_acc", kTolerance));
    EXPECT_TRUE(
        all_close(s.class_accuracy, file_.read_double(name, "acc_by_class").values, kTolerance))
        << " [acc_by_class]";
    // The vector NMI (sparse path) agrees with the table one used above.
    EXPECT_NEAR(normalized_mutual_information(truth.values, pred.values), s.nmi, 1e-14);
  }
}

TEST_F(MetricsGoldenTest, SegmentationScoresMatchReference) {
  const std::vector<std::string> cases = cases_of(file_, "segmentation");
  ASSERT_FALSE(cases.empty());
  for (const std::string& name : cases) {
    SCOPED_TRACE(name + " (pred_background_id_fixed=" +
                 std::to_string(file_.attr_int(name, "pred_background_id_fixed")) + ")");
    const auto truth = file_.read_int64(name, "label_true");
    const auto pred = file_.read_int64(name, "label_pred");
    ASSERT_EQ(truth.shape.size(), 3u);
    const int64_t batch = truth.shape[0], pixels = truth.shape[1] * truth.shape[2];
    EXPECT_EQ(batch, file_.attr_int(name, "n_updates"));
    const int64_t n_classes = file_.attr_int(name, "n_classes");
    // One update per image, as the reference's SegmentationScores.update.
    SegmentationAccumulator accumulator(n_classes);
    for (int64_t b = 0; b < batch; ++b) {
      accumulator.update(truth.values.data() + b * pixels, pred.values.data() + b * pixels, pixels);
    }
    EXPECT_TRUE(all_close(as_double(accumulator.confusion()),
                          file_.read_double(name, "confusion").values, 0.0))
        << " [confusion]";
    const SegmentationScores s = accumulator.compute();
    EXPECT_TRUE(scalar_close(s.global_accuracy, file_, name, "global_acc", kTolerance));
    EXPECT_TRUE(scalar_close(s.mean_accuracy, file_, name, "avg_acc", kTolerance));
    EXPECT_TRUE(scalar_close(s.mean_iou, file_, name, "avg_iou", kTolerance));
    EXPECT_TRUE(
        scalar_close(s.global_accuracy_no_background, file_, name, "global_acc_nobkg", kTolerance));
    EXPECT_TRUE(
        scalar_close(s.mean_accuracy_no_background, file_, name, "avg_acc_nobkg", kTolerance));
    EXPECT_TRUE(scalar_close(s.mean_iou_no_background, file_, name, "avg_iou_nobkg", kTolerance));
    EXPECT_TRUE(all_close(s.class_iou, file_.read_double(name, "iou_cls").values, kTolerance))
        << " [iou_cls]";
  }
}

}  // namespace
}  // namespace dti::metrics
