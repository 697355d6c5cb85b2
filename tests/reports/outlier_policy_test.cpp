// Outlier policy per table (docs/evaluation.md#outliers): the paper drops an outlier run in
// Tables 1 and 5 (marked (M)) but keeps every run in Table 2, and the ablation comparisons use
// the runs behind the printed means.
#include <gtest/gtest.h>

#include <algorithm>

#include "reports/aggregate.h"
#include "reports/paper_tables.h"
#include "tests/reports/temp_dir.h"
#include "tests/support/expect_error.h"

namespace dti::reports {
namespace {

// The paper's example: the 1.93e-3 run is far above the others.
const std::vector<RunLoss> kPaperExample = {
    {"a", 1.51e-3}, {"b", 1.49e-3}, {"c", 1.52e-3}, {"d", 1.57e-3}, {"e", 1.93e-3}};

TEST(OutlierPolicy, NoneKeepsEveryRunAndSaysSo) {
  OutlierRule rule;
  EXPECT_EQ(screen_outliers(kPaperExample, rule).dropped.size(), 1u);
  rule.policy = OutlierPolicy::kNone;
  const auto screen = screen_outliers(kPaperExample, rule);
  EXPECT_TRUE(screen.dropped.empty());
  EXPECT_EQ(screen.kept_run_ids.size(), 5u);
  EXPECT_EQ(screen.note, "no run dropped: outlier policy none");
  EXPECT_NE(screen.rule.find("every finished run is kept"), std::string::npos) << screen.rule;
  EXPECT_EQ(outlier_policy_name(OutlierPolicy::kNone), "none");
  EXPECT_EQ(parse_outlier_policy("rule"), OutlierPolicy::kRule);
  EXPECT_ERROR_CONTAINS(parse_outlier_policy("drop"), "valid: rule, none");
}

TEST(OutlierPolicy, EachTableDefaultsToWhatThePaperDid) {
  EXPECT_EQ(paper_table_spec(1).outlier_policy, OutlierPolicy::kRule);
  EXPECT_EQ(paper_table_spec(2).outlier_policy, OutlierPolicy::kNone);
  EXPECT_EQ(paper_table_spec(3).outlier_policy, OutlierPolicy::kRule);
  EXPECT_EQ(paper_table_spec(4).outlier_policy, OutlierPolicy::kRule);
  EXPECT_EQ(paper_table_spec(5).outlier_policy, OutlierPolicy::kRule);
}

// Five seeds of Multi-dSprites in Table 1 and in Table 2 ("full" and "fixed occlusion"), with
// the paper's losses: the last seed is the outlier.
void fill(Store& store) {
  const double losses[] = {1.51e-3, 1.49e-3, 1.52e-3, 1.57e-3, 1.93e-3};
  const double ari_fg[] = {0.921, 0.925, 0.929, 0.924, 0.700};
  const std::vector<std::pair<std::string, std::string>> cells = {
      {"table1", "multi_dsprites"},
      {"table2", "multi_dsprites/full"},
      {"table2", "multi_dsprites/fixed_occlusion"}};
  for (const auto& [experiment, cell] : cells) {
    const double shift = cell == "multi_dsprites/fixed_occlusion" ? -0.05 : 0.0;
    for (int seed = 0; seed < 5; ++seed) {
      RunSpec spec{experiment, cell,     "multi_dsprites",
                   "",         seed,     "seed: " + std::to_string(seed),
                   "test",     "1.13.1", "cpu"};
      const int64_t id = store.start_run(spec);
      store.record_metrics(
          id, {{"ari_fg", ari_fg[seed] + shift, std::nullopt}, {"ari", 0.95, std::nullopt}});
      store.finish_run(id, RunOutcome{losses[seed], 1000, 30.0, 1 << 30});
    }
  }
}

TEST(OutlierPolicy, Table2KeepsTheRunTable1DropsAndComparesTheSameRuns) {
  test::TempDir dir;
  Store store = Store::open(dir.file("results.sqlite"));
  fill(store);
  const auto table1 = build_paper_table(paper_table_spec(1), store);
  const auto& t1 = table1.rows.at(0).cells.at(2).ours;  // Multi-dSprites ARI-FG
  EXPECT_EQ(t1.seeds_used.size(), 4u);
  EXPECT_NEAR(*t1.mean, 92.475, 1e-9);

  const auto table2 = build_paper_table(paper_table_spec(2), store);
  EXPECT_EQ(table2.outlier_policy, OutlierPolicy::kNone);
  const auto& full = table2.rows.at(2).cells.at(0).ours;  // Multi-dSprites: full, ARI-FG
  EXPECT_EQ(full.seeds_used, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(full.dropped.empty());
  EXPECT_NEAR(*full.mean, (92.1 + 92.5 + 92.9 + 92.4 + 70.0) / 5, 1e-9);
  EXPECT_NE(full.rule.find("outlier policy none"), std::string::npos) << full.rule;
  // The bootstrap comparison reads the five runs of each side, as the printed means.
  bool found = false;
  for (const auto& c : table2.comparisons) {
    if (c.label != "Multi-dSprites: fixed occlusion vs Multi-dSprites: full" ||
        c.column != "ARI-FG")
      continue;
    found = true;
    EXPECT_EQ(c.difference.n_variant, 5);
    EXPECT_EQ(c.difference.n_baseline, 5);
    EXPECT_NEAR(c.difference.difference, -5.0, 1e-6);
  }
  EXPECT_TRUE(found);

  // An experiment may set its own policy: the rule in Table 2 drops seed 4 on both sides.
  TableBuildOptions options;
  options.outlier_policy = OutlierPolicy::kRule;
  const auto ruled = build_paper_table(paper_table_spec(2), store, options);
  EXPECT_EQ(ruled.rows.at(2).cells.at(0).ours.seeds_used, (std::vector<int64_t>{0, 1, 2, 3}));
  for (const auto& c : ruled.comparisons) {
    if (c.label == "Multi-dSprites: fixed occlusion vs Multi-dSprites: full") {
      EXPECT_EQ(c.difference.n_variant, 4);
      EXPECT_EQ(c.difference.n_baseline, 4);
    }
  }
}

TEST(PaperTablesFromStore, Table4StatesTheImagesEachRunEvaluated) {
  // The paper reports 327 Weizmann Horse images, the download has 328: the footnote says which.
  test::TempDir dir;
  Store store = Store::open(dir.file("results.sqlite"));
  for (int seed = 0; seed < 3; ++seed) {
    const int64_t id = store.start_run({"table4", "weizmann_horse", "weizmann_horse", "", seed,
                                        "seed: " + std::to_string(seed), "test", "1.13.1", "cpu"});
    store.record_metrics(
        id, {{"accuracy", 0.85 + 0.01 * seed, std::nullopt}, {"eval_images", 328.0, std::nullopt}});
    store.finish_run(id, RunOutcome{1e-3 + 1e-5 * seed, 1000, 30.0, 1 << 30});
  }
  const auto table = build_paper_table(paper_table_spec(4), store);
  const auto& notes = table.notes;
  EXPECT_NE(std::find(notes.begin(), notes.end(),
                      "Images evaluated per run (table4/weizmann_horse): 328."),
            notes.end());
  EXPECT_NEAR(*table.rows.at(0).cells.at(0).ours.mean, 86.0, 1e-9);
}

}  // namespace
}  // namespace dti::reports
