// Your own ablations end to end (docs/compare.md): `runexp sweep` trains its grid once and shows
// each cell against the first with a bootstrap interval; `runexp run` on a file and `runexp
// compare` read the same store; a misspelt key in an experiment file stops everything (exit 2).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "reports/store.h"
#include "tests/experiments/runexp_harness.h"

namespace dti::test {
namespace {
namespace fs = std::filesystem;

class RunexpCompareTest : public ScratchFolderTest {};

TEST_F(RunexpCompareTest, SweepTrainsItsGridOnceAndComparesWithTheFirstValue) {
  const std::string sweep =
      "sweep --config tetrominoes --grid model.n_sprites=4,6 --seeds 3 --preset smoke --quiet "
      "--no-tensorboard";
  auto r = runexp(sweep);
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(fs::exists(dir_ / "out/experiments/sweep_tetrominoes_n_sprites.yml"));
  auto store = reports::Store::open((dir_ / "out/results.sqlite").string());
  EXPECT_EQ(store.list_runs(reports::RunFilter("sweep_tetrominoes_n_sprites")).size(), 6u);
  EXPECT_NE(r.output.find("| n_sprites=4 (baseline) | 3 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Δ ARI-FG (%) vs n_sprites=4"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("95% percentile bootstrap interval"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" ± "), std::string::npos) << r.output;

  r = runexp(sweep);  // nothing left to train
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(store.list_runs(reports::RunFilter("sweep_tetrominoes_n_sprites")).size(), 6u);
  EXPECT_NE(r.output.find("already finished"), std::string::npos) << r.output;

  r = runexp(
      "compare out/experiments/sweep_tetrominoes_n_sprites.yml --metric loss "
      "--baseline n_sprites=6");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("| n_sprites=6 (baseline) |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Δ loss vs n_sprites=6"), std::string::npos) << r.output;
  r = runexp("compare out/experiments/sweep_tetrominoes_n_sprites.yml --baseline K=4");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown cell 'K=4'"), std::string::npos) << r.output;
}

TEST_F(RunexpCompareTest, AFileWithAMisspeltKeyOrABadValueStopsBeforeAnyRun) {
  std::ofstream(dir_ / "mine.yml") << "config: tetrominoes\nseed: 2\ncells: [{name: full}]\n";
  auto r = runexp("run mine.yml --preset smoke");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown key 'seed'; did you mean 'seeds'?"), std::string::npos)
      << r.output;
  std::ofstream(dir_ / "mine.yml") << "config: tetrominoes\nseeds: 2\n"
                                      "grid: {model.n_spritez: [4, 6]}\n";
  r = runexp("run mine.yml --preset smoke");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("cell 'n_spritez=4'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("n_spritez"), std::string::npos) << r.output;
  r = runexp("sweep --config tetrominoes --grid model.n_sprites=4,abc --preset smoke");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "out/results.sqlite")) << "nothing ran";
}

TEST_F(RunexpCompareTest, AnExperimentFileRunsLikeATableWithJobs) {
  std::ofstream(dir_ / "occlusion.yml")
      << "title: fixed occlusion\nconfig: tetrominoes\nseeds: 1\nbaseline: full\n"
         "cells:\n  - {name: full}\n  - {name: three, set: [model.n_sprites=3]}\n";
  auto r = runexp("run occlusion.yml --preset smoke --quiet --jobs 2 --no-tensorboard");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("job finished: three seed 0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("too few seeds"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "out/tables/occlusion.md"));
  r = runexp("status occlusion.yml");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("three"), std::string::npos) << r.output;
}

// A cell two experiments share (same config and seed) is trained once: the second experiment
// stores the first one's run under its own name.
TEST_F(RunexpCompareTest, ACellSharedWithAPaperTableIsNotTrainedTwice) {
  auto r = runexp("table1 --preset smoke --seeds 1 --quiet --no-tensorboard");
  ASSERT_EQ(r.code, 0) << r.output;
  r = runexp(
      "sweep --config tetrominoes --grid model.n_sprites=19,4 --seeds 1 --preset smoke "
      "--quiet --no-tensorboard --name shared");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("n_sprites=19 seed 0: the same configuration and seed finished as "
                          "table1/tetrominoes"),
            std::string::npos)
      << r.output;
  auto store = reports::Store::open((dir_ / "out/results.sqlite").string());
  const auto shared = store.list_runs(reports::RunFilter("shared"));
  ASSERT_EQ(shared.size(), 2u);
  const auto table1 = store.list_runs(reports::RunFilter("table1", std::string("tetrominoes")));
  ASSERT_EQ(table1.size(), 1u);
  for (const auto& run : shared) {
    EXPECT_EQ(run.status, reports::RunStatus::finished);
    if (run.spec.cell == "n_sprites=19") {
      EXPECT_EQ(store.final_metrics(run.id), store.final_metrics(table1[0].id));
    }
  }
}

}  // namespace
}  // namespace dti::test
