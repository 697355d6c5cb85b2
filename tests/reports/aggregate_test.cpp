// Aggregation over seeds: mean ± sample std, the outlier rule of docs/evaluation.md (the paper's
// example and its edge cases), cell aggregation and the bootstrap comparison of variants.

#include "reports/aggregate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/support/expect_error.h"

namespace dti::reports {
namespace {

using dti::test::error_contains;

std::vector<RunLoss> runs_with_losses(const std::vector<double>& losses) {
  std::vector<RunLoss> runs;
  for (size_t i = 0; i < losses.size(); ++i)
    runs.push_back({"seed" + std::to_string(i), losses[i]});
  return runs;
}

TEST(MeanStdTest, SampleStandardDeviation) {
  const MeanStd s = mean_std({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_DOUBLE_EQ(s.mean, 5.0);
  ASSERT_TRUE(s.std_dev.has_value());
  EXPECT_DOUBLE_EQ(*s.std_dev, std::sqrt(32.0 / 7.0));  // n − 1 = 7, not the population 2.0
  EXPECT_EQ(s.n, 8);
}

TEST(MeanStdTest, OneValueHasNoStd) {
  const MeanStd s = mean_std({0.951});
  EXPECT_EQ(s.mean, 0.951);
  EXPECT_FALSE(s.std_dev.has_value());
}

TEST(MeanStdTest, EqualValuesHaveZeroStd) {
  const MeanStd s = mean_std({0.3, 0.3, 0.3});
  EXPECT_DOUBLE_EQ(s.mean, 0.3);
  EXPECT_EQ(*s.std_dev, 0.0);
}

TEST(MeanStdTest, RejectsEmptyAndNan) {
  EXPECT_TRUE(error_contains([] { mean_std({}); }, "expected at least one value, got none"));
  EXPECT_TRUE(error_contains(
      [] {
        mean_std({1.0, std::nan("")});
      },
      "expected finite values, got nan at index 1"));
}

TEST(OutlierRuleTest, PaperExampleDropsExactlyTheLast) {
  // The paper: losses {1.51, 1.49, 1.52, 1.57, 1.93}·10⁻³, the last one dropped. Median 1.52e-3,
  // MAD 0.03e-3, so z(1.93e-3) = 0.41 / (1.4826 · 0.03) ≈ 9.2 and z(1.57e-3) ≈ 1.1.
  const OutlierScreen screen =
      screen_outliers(runs_with_losses({1.51e-3, 1.49e-3, 1.52e-3, 1.57e-3, 1.93e-3}));
  EXPECT_EQ(screen.kept_run_ids, (std::vector<std::string>{"seed0", "seed1", "seed2", "seed3"}));
  ASSERT_EQ(screen.dropped.size(), 1u);
  EXPECT_EQ(screen.dropped[0].run_id, "seed4");
  EXPECT_EQ(screen.dropped[0].final_loss, 1.93e-3);
  EXPECT_NEAR(screen.dropped[0].robust_z, 0.41 / (1.4826 * 0.03), 1e-9);
  EXPECT_NEAR(screen.median_loss, 1.52e-3, 1e-18);
  EXPECT_NEAR(screen.mad, 0.03e-3, 1e-18);
  EXPECT_NE(screen.note.find("dropped: seed4 (final loss 0.00193, robust z 9.2"), std::string::npos)
      << screen.note;
  // The same losses in another order drop the same run.
  std::vector<RunLoss> shuffled = {
      {"a", 1.93e-3}, {"b", 1.57e-3}, {"c", 1.49e-3}, {"d", 1.52e-3}, {"e", 1.51e-3}};
  EXPECT_EQ(screen_outliers(shuffled).dropped.at(0).run_id, "a");
}

TEST(OutlierRuleTest, RuleIsStatedWithItsParameters) {
  const std::string text = OutlierRule{}.describe();
  EXPECT_EQ(text,
            "outlier rule on the final reconstruction loss: robust z = (loss - median) / "
            "(1.4826 * MAD); with at least 4 runs, drop the run(s) with the largest z > 3.5, at "
            "most 1; MAD = 0 drops nothing; equal z go to the smallest run id");
  OutlierRule both;
  both.side = OutlierSide::kBoth;
  both.threshold = 3.0;
  EXPECT_NE(both.describe().find("|loss - median|"), std::string::npos);
  EXPECT_NE(both.describe().find("z > 3,"), std::string::npos);
  EXPECT_EQ(screen_outliers(runs_with_losses({1, 2, 3})).rule, text);
}

TEST(OutlierRuleTest, TooFewRunsDropNothing) {
  const OutlierScreen screen = screen_outliers(runs_with_losses({1.0, 1.01, 9.0}));
  EXPECT_TRUE(screen.dropped.empty());
  EXPECT_EQ(screen.kept_run_ids.size(), 3u);
  EXPECT_EQ(screen.note, "no run dropped: 3 run(s), the rule needs at least 4");
  EXPECT_TRUE(screen_outliers(runs_with_losses({5.0})).dropped.empty());
}

TEST(OutlierRuleTest, ModerateSpreadDropsNothing) {
  const OutlierScreen screen = screen_outliers(runs_with_losses({1.51, 1.49, 1.52, 1.57, 1.60}));
  EXPECT_TRUE(screen.dropped.empty());
  EXPECT_NE(screen.note.find("no run dropped: largest robust z"), std::string::npos);
}

TEST(OutlierRuleTest, ZeroMadDropsNothing) {
  // All equal, and more than half equal with one far run: the robust scale is 0.
  const OutlierScreen equal = screen_outliers(runs_with_losses({2.0, 2.0, 2.0, 2.0, 2.0}));
  EXPECT_TRUE(equal.dropped.empty());
  EXPECT_EQ(equal.mad, 0.0);
  const OutlierScreen mostly = screen_outliers(runs_with_losses({2.0, 2.0, 2.0, 2.0, 9.0}));
  EXPECT_TRUE(mostly.dropped.empty());
  EXPECT_NE(mostly.note.find("MAD = 0"), std::string::npos) << mostly.note;
}

TEST(OutlierRuleTest, LowLossIsNotAnOutlierUnlessBothSides) {
  // The paper drops runs whose loss is far *above* the others; a far better run stays.
  const std::vector<RunLoss> runs = runs_with_losses({1.51, 1.49, 1.52, 1.57, 0.90});
  EXPECT_TRUE(screen_outliers(runs).dropped.empty());
  OutlierRule both;
  both.side = OutlierSide::kBoth;
  const OutlierScreen screen = screen_outliers(runs, both);
  ASSERT_EQ(screen.dropped.size(), 1u);
  EXPECT_EQ(screen.dropped[0].run_id, "seed4");
}

TEST(OutlierRuleTest, AtMostMaxDroppedAndTiesGoToTheSmallestId) {
  // Two equally far runs: only one is dropped, the one with the smaller id, whatever the order.
  const std::vector<RunLoss> runs = {{"s9", 5.0},  {"s1", 1.0}, {"s2", 1.01},
                                     {"s3", 1.02}, {"s4", 5.0}, {"s5", 0.99}};
  OutlierScreen screen = screen_outliers(runs);
  ASSERT_EQ(screen.dropped.size(), 1u);
  EXPECT_EQ(screen.dropped[0].run_id, "s4");
  OutlierRule two;
  two.max_dropped = 2;
  screen = screen_outliers(runs, two);
  ASSERT_EQ(screen.dropped.size(), 2u);
  EXPECT_EQ(screen.dropped[0].run_id, "s4");
  EXPECT_EQ(screen.dropped[1].run_id, "s9");
  EXPECT_EQ(screen.kept_run_ids, (std::vector<std::string>{"s1", "s2", "s3", "s5"}));
}

TEST(OutlierRuleTest, RejectsBadInput) {
  EXPECT_TRUE(error_contains([] { screen_outliers({}); }, "expected at least one run, got none"));
  EXPECT_TRUE(error_contains(
      [] {
        screen_outliers({{"a", 1.0}, {"a", 2.0}});
      },
      "run ids expected unique, got 'a' twice"));
  EXPECT_TRUE(error_contains(
      [] {
        screen_outliers({{"a", 1.0}, {"b", std::nan("")}});
      },
      "run 'b' expected a finite final_loss, got nan"));
  EXPECT_TRUE(error_contains(
      [] {
        screen_outliers({{"a", std::numeric_limits<double>::infinity()}});
      },
      "expected a finite final_loss, got inf"));
  OutlierRule rule;
  rule.threshold = -1;
  EXPECT_TRUE(
      error_contains([&] { rule.validate(); }, "threshold expected a finite value > 0, got -1"));
  rule = OutlierRule{};
  rule.min_runs = 2;
  EXPECT_TRUE(error_contains(
      [&] {
        screen_outliers({{"a", 1.0}}, rule);
      },
      "min_runs expected >= 3, got 2"));
  rule = OutlierRule{};
  rule.max_dropped = 4;
  EXPECT_TRUE(
      error_contains([&] { rule.validate(); }, "max_dropped expected < min_runs (4), got 4"));
}

TEST(AggregateCellTest, PaperExampleCell) {
  const std::vector<RunResult> runs = {
      {"seed0", 1.51e-3, {{"ari", 0.95}, {"ari_fg", 0.92}}},
      {"seed1", 1.49e-3, {{"ari", 0.96}, {"ari_fg", 0.93}}},
      {"seed2", 1.52e-3, {{"ari", 0.94}, {"ari_fg", 0.91}}},
      {"seed3", 1.57e-3, {{"ari", 0.95}, {"ari_fg", 0.94}}},
      {"seed4", 1.93e-3, {{"ari", 0.60}, {"ari_fg", 0.50}}},
  };
  const CellAggregate cell = aggregate_cell(runs);
  ASSERT_EQ(cell.screen.dropped.size(), 1u);
  EXPECT_EQ(cell.screen.dropped[0].run_id, "seed4");
  EXPECT_EQ(cell.screen.rule, OutlierRule{}.describe());
  EXPECT_EQ(cell.rule.threshold, 3.5);
  ASSERT_EQ(cell.metrics.size(), 2u);
  EXPECT_DOUBLE_EQ(cell.metrics.at("ari").mean, 0.95);
  EXPECT_EQ(cell.metrics.at("ari").n, 4);
  EXPECT_NEAR(*cell.metrics.at("ari").std_dev, std::sqrt(0.0002 / 3.0), 1e-15);
  EXPECT_DOUBLE_EQ(cell.metrics.at("ari_fg").mean, 0.925);
  EXPECT_DOUBLE_EQ(cell.final_loss.mean, (1.51e-3 + 1.49e-3 + 1.52e-3 + 1.57e-3) / 4);
}

TEST(AggregateCellTest, OneRun) {
  const CellAggregate cell = aggregate_cell({{"only", 0.01, {{"acc", 0.874}}}});
  EXPECT_EQ(cell.metrics.at("acc").mean, 0.874);
  EXPECT_FALSE(cell.metrics.at("acc").std_dev.has_value());
  EXPECT_TRUE(cell.screen.dropped.empty());
}

TEST(AggregateCellTest, RejectsBadInput) {
  EXPECT_TRUE(error_contains([] { aggregate_cell({}); }, "expected at least one run, got none"));
  EXPECT_TRUE(error_contains(
      [] {
        aggregate_cell({{"a", 1.0, {{"ari", 0.9}}}, {"b", 1.0, {{"miou", 0.9}}}});
      },
      "every run expected the metrics of run 'a', run 'b' differs"));
  EXPECT_TRUE(error_contains(
      [] {
        aggregate_cell({{"a", 1.0, {{"ari", std::nan("")}}}});
      },
      "run 'a' metric 'ari' expected a finite value, got nan"));
  EXPECT_TRUE(error_contains(
      [] {
        aggregate_cell({{"a", std::nan(""), {{"ari", 0.9}}}});
      },
      "run 'a' expected a finite final_loss, got nan"));
}

TEST(CompareVariantsTest, ClearEffectExcludesZero) {
  const std::vector<double> baseline = {0.915, 0.930, 0.890, 0.921, 0.905};
  const std::vector<double> variant = {0.857, 0.870, 0.845, 0.880, 0.833};
  const MeanDifference d = compare_variants(variant, baseline);
  EXPECT_NEAR(d.difference,
              (0.857 + 0.870 + 0.845 + 0.880 + 0.833 - 0.915 - 0.930 - 0.890 - 0.921 - 0.905) / 5,
              1e-15);
  EXPECT_LT(d.ci_low, d.difference);
  EXPECT_GT(d.ci_high, d.difference);
  EXPECT_LT(d.ci_high, 0.0);
  EXPECT_TRUE(d.excludes_zero());
  // A bootstrap mean difference can never leave [min(v) − max(b), max(v) − min(b)].
  EXPECT_GE(d.ci_low, 0.833 - 0.930);
  EXPECT_LE(d.ci_high, 0.880 - 0.890);
  EXPECT_EQ(d.n_variant, 5);
  EXPECT_EQ(d.options.resamples, 10000);
  EXPECT_NE(d.describe().find("95% percentile bootstrap interval"), std::string::npos);
  EXPECT_NE(d.describe().find("exceeds seed noise"), std::string::npos);
}

TEST(CompareVariantsTest, SeedNoiseIncludesZero) {
  // Table 2 style: two variants whose seeds overlap.
  const std::vector<double> full = {0.955, 0.932, 0.978, 0.941, 0.969};
  const std::vector<double> ablated = {0.944, 0.971, 0.925, 0.960, 0.938};
  const MeanDifference d = compare_variants(ablated, full);
  EXPECT_LT(d.ci_low, 0.0);
  EXPECT_GT(d.ci_high, 0.0);
  EXPECT_FALSE(d.excludes_zero());
  EXPECT_NE(d.describe().find("within seed noise"), std::string::npos);
}

TEST(CompareVariantsTest, DeterministicGivenTheSeed) {
  // Ten irregular values per variant, so the resample means rarely coincide across seeds.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> a(10), b(10);
  for (double& x : a) x = noise(rng);
  for (double& x : b) x = 0.3 + noise(rng);
  const MeanDifference first = compare_variants(a, b), second = compare_variants(a, b);
  EXPECT_EQ(first.ci_low, second.ci_low);
  EXPECT_EQ(first.ci_high, second.ci_high);
  BootstrapOptions other;
  other.seed = 99;
  const MeanDifference third = compare_variants(a, b, other);
  EXPECT_NE(first.ci_low, third.ci_low);
  EXPECT_EQ(third.options.seed, 99u);
}

TEST(CompareVariantsTest, ConstantSeedsGiveAPointInterval) {
  const MeanDifference d = compare_variants({0.7, 0.7, 0.7}, {0.5, 0.5});
  EXPECT_NEAR(d.difference, 0.2, 1e-15);
  EXPECT_EQ(d.ci_low, d.difference);
  EXPECT_EQ(d.ci_high, d.difference);
  EXPECT_TRUE(d.excludes_zero());
}

TEST(CompareVariantsTest, MatchesTheNormalIntervalForManySeeds) {
  // With many seeds the percentile interval approaches difference ± 1.96·SE.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> a(400), b(400);
  for (double& x : a) x = 0.5 + noise(rng);
  for (double& x : b) x = noise(rng);
  const MeanStd sa = mean_std(a), sb = mean_std(b);
  const double se = std::sqrt(*sa.std_dev * *sa.std_dev / 400 + *sb.std_dev * *sb.std_dev / 400);
  const MeanDifference d = compare_variants(a, b);
  EXPECT_NEAR(d.ci_low, d.difference - 1.96 * se, 0.1 * se);
  EXPECT_NEAR(d.ci_high, d.difference + 1.96 * se, 0.1 * se);
}

TEST(CompareVariantsTest, RejectsBadInput) {
  EXPECT_TRUE(error_contains(
      [] {
        compare_variants({1.0}, {1.0, 2.0});
      },
      "expected at least 2 seeds per variant, got 1 (variant) and 2 (baseline)"));
  EXPECT_TRUE(error_contains(
      [] {
        compare_variants({1.0, std::nan("")}, {1.0, 2.0});
      },
      "variant expected finite values, got nan at index 1"));
  BootstrapOptions options;
  options.confidence = 1.0;
  EXPECT_TRUE(error_contains(
      [&] {
        compare_variants({1, 2}, {1, 2}, options);
      },
      "confidence expected in (0, 1), got 1"));
  options = BootstrapOptions{};
  options.resamples = 10;
  EXPECT_TRUE(error_contains(
      [&] {
        compare_variants({1, 2}, {1, 2}, options);
      },
      "resamples expected >= 100, got 10"));
}

}  // namespace
}  // namespace dti::reports
