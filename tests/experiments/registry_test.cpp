// The registered experiments' outlier policy (docs/evaluation.md#outliers): as the paper did per
// table, the rule where it marks (M), every run kept in Table 2 and the figures.
#include "experiments/suite/registry.h"

#include <gtest/gtest.h>

#include "reports/paper_tables.h"

namespace dti::experiments {
namespace {

using reports::OutlierPolicy;

TEST(Registry, OutlierPolicyPerExperimentFollowsThePaper) {
  EXPECT_EQ(find_experiment("table1").outlier_policy, OutlierPolicy::kRule);
  EXPECT_EQ(find_experiment("table2").outlier_policy, OutlierPolicy::kNone);
  EXPECT_EQ(find_experiment("table3").outlier_policy, OutlierPolicy::kRule);
  EXPECT_EQ(find_experiment("table4").outlier_policy, OutlierPolicy::kRule);
  EXPECT_EQ(find_experiment("table5").outlier_policy, OutlierPolicy::kRule);
  EXPECT_EQ(find_experiment("fig8").outlier_policy, OutlierPolicy::kNone);
  EXPECT_EQ(find_experiment("fig9").outlier_policy, OutlierPolicy::kNone);
  // A table's experiment and its spec agree, so `runexp report` and the HTML report print the
  // same cells.
  for (const auto& experiment : experiment_definitions()) {
    if (experiment.table == 0) continue;
    EXPECT_EQ(experiment.outlier_policy, reports::paper_table_spec(experiment.table).outlier_policy)
        << experiment.name;
  }
}

}  // namespace
}  // namespace dti::experiments
