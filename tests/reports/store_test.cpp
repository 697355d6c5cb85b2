#include "reports/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "reports/store_schema.h"
#include "tests/reports/temp_dir.h"
#include "tests/support/expect_error.h"

namespace dti::reports {
namespace {

using test::TempDir;

RunSpec spec_for(const std::string& cell, int64_t seed, const std::string& config = "lr: 1e-4\n") {
  RunSpec spec;
  spec.experiment = "table1";
  spec.cell = cell;
  spec.dataset = cell;
  spec.variant = "full";
  spec.seed = seed;
  spec.config_text = config;
  spec.code_version = "v0.1.0-3-gabc";
  spec.libtorch_version = "1.13.1";
  spec.device = "cpu (2 threads)";
  return spec;
}

// Runs raw SQL on a file with the plain C API (what an old build or another tool would do).
void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

using dti::test::error_contains;

class StoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("results.sqlite");
};

TEST_F(StoreTest, NewFileHasCurrentSchemaAndWal) {
  Store store = Store::open(path_);
  EXPECT_EQ(store.schema_version(), kStoreSchemaVersion);
  EXPECT_TRUE(store.experiments().empty());
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(StoreTest, RunLifecycleRecordsEverything) {
  Store store = Store::open(path_);
  store.ensure_experiment("table1", "Table 1: ARI-FG and ARI");
  const RunSpec spec = spec_for("tetrominoes", 3);
  const int64_t id = store.start_run(spec);

  RunRecord started = store.run(id);
  EXPECT_EQ(started.status, RunStatus::running);
  EXPECT_EQ(started.liveness, Liveness::alive);
  EXPECT_EQ(started.pid, getpid());
  EXPECT_EQ(started.config_hash, config_hash(spec.config_text));
  EXPECT_EQ(started.config_hash.size(), 64u);
  EXPECT_EQ(started.attempts, 1);
  EXPECT_TRUE(started.ended_at.empty());
  EXPECT_EQ(started.started_at.size(), std::string("2024-01-01T00:00:00.000Z").size());

  store.record_metrics(id, {{"loss", 0.5, 100}, {"loss", 0.25, 200}, {"loss", 0.4, 150}});
  store.record_metric(id, "loss", 0.3, 200);  // same iteration replaces, never duplicates
  store.record_metric(id, "ari_fg", 0.987);
  store.finish_run(id, RunOutcome{1.5e-3, 200, 66.5, 1 << 30});

  const RunRecord finished = store.run(id);
  EXPECT_EQ(finished.status, RunStatus::finished);
  EXPECT_EQ(finished.liveness, Liveness::ended);
  EXPECT_FALSE(finished.ended_at.empty());
  EXPECT_DOUBLE_EQ(*finished.outcome.final_loss, 1.5e-3);
  EXPECT_EQ(*finished.outcome.iterations, 200);
  EXPECT_DOUBLE_EQ(*finished.outcome.images_per_second, 66.5);
  EXPECT_EQ(*finished.outcome.peak_memory_bytes, 1 << 30);
  EXPECT_EQ(finished.spec.code_version, spec.code_version);
  EXPECT_EQ(finished.spec.device, spec.device);

  const auto curve = store.metric_curve(id, "loss");
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_EQ(*curve[0].iteration, 100);
  EXPECT_EQ(*curve[1].iteration, 150);
  EXPECT_DOUBLE_EQ(curve[2].value, 0.3);
  EXPECT_EQ(store.final_metrics(id), (std::map<std::string, double>{{"ari_fg", 0.987}}));
  EXPECT_EQ(store.metrics(id).size(), 4u);
  EXPECT_EQ(store.experiment_description("table1"), "Table 1: ARI-FG and ARI");

  EXPECT_TRUE(error_contains([&] { store.finish_run(id, {}); }, "already finished"));
  EXPECT_TRUE(error_contains([&] { store.run(999); }, "no run with id 999"));
}

TEST_F(StoreTest, IdempotenceLookupsUseTheFullKey) {
  Store store = Store::open(path_);
  const RunSpec spec = spec_for("clevr6", 1);
  const RunKey key{"table1", "clevr6", 1, config_hash(spec.config_text)};
  EXPECT_FALSE(store.find_finished_run(key));
  const int64_t id = store.start_run(spec);
  EXPECT_FALSE(store.find_finished_run(key));
  ASSERT_TRUE(store.find_unfinished_run(key));
  EXPECT_EQ(store.find_unfinished_run(key)->id, id);
  store.finish_run(id, {});
  ASSERT_TRUE(store.find_finished_run(key));
  EXPECT_FALSE(store.find_unfinished_run(key));

  RunKey other_seed = key;
  other_seed.seed = 2;
  RunKey other_config = key;
  other_config.config_hash = config_hash("lr: 1e-3\n");
  EXPECT_FALSE(store.find_finished_run(other_seed));
  EXPECT_FALSE(store.find_finished_run(other_config));
}

TEST_F(StoreTest, ClaimStartsSkipsAndResumes) {
  Store store = Store::open(path_);
  const RunSpec spec = spec_for("tetrominoes", 0);
  const Claim first = store.claim_run(spec);
  EXPECT_EQ(first.result, ClaimResult::started);
  store.fail_run(first.run.id, "NaN loss at iteration 10");
  EXPECT_EQ(store.run(first.run.id).error, "NaN loss at iteration 10");

  const Claim second = store.claim_run(spec);
  EXPECT_EQ(second.result, ClaimResult::resumed);
  EXPECT_EQ(second.run.id, first.run.id);
  EXPECT_EQ(second.run.attempts, 2);
  EXPECT_EQ(second.run.status, RunStatus::running);
  EXPECT_TRUE(second.run.error.empty());
  store.finish_run(second.run.id, {});

  const Claim third = store.claim_run(spec);
  EXPECT_EQ(third.result, ClaimResult::already_finished);
  EXPECT_EQ(third.run.id, first.run.id);
  EXPECT_EQ(store.list_runs(RunFilter("table1")).size(), 1u);
}

TEST_F(StoreTest, ListRunsFiltersAndOrders) {
  Store store = Store::open(path_);
  for (int seed : {2, 0, 1}) store.finish_run(store.start_run(spec_for("clevr6", seed)), {});
  store.start_run(spec_for("tetrominoes", 0));
  EXPECT_EQ(store.list_runs(RunFilter("table1")).size(), 4u);
  const auto clevr = store.list_runs(RunFilter("table1", "clevr6"));
  ASSERT_EQ(clevr.size(), 3u);
  EXPECT_EQ(clevr[0].spec.seed, 0);
  EXPECT_EQ(clevr[2].spec.seed, 2);
  RunFilter running("table1");
  running.status = RunStatus::running;
  ASSERT_EQ(store.list_runs(running).size(), 1u);
  EXPECT_EQ(store.list_runs(running)[0].spec.cell, "tetrominoes");
  EXPECT_EQ(store.cells("table1"), (std::vector<std::string>{"clevr6", "tetrominoes"}));
  EXPECT_TRUE(store.list_runs(RunFilter("table9")).empty());
}

TEST_F(StoreTest, ArtifactsAreAbsoluteAndMustExist) {
  Store store = Store::open(path_);
  const int64_t id = store.start_run(spec_for("tetrominoes", 0));
  const std::string image = dir_.file("sprites.png");
  std::ofstream(image) << "png";
  store.record_artifact(id, "sprites", image, "iteration 10", 10);
  store.record_artifact(id, "checkpoint", image);
  const auto all = store.artifacts(id);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].kind, "sprites");
  EXPECT_EQ(all[0].path, std::filesystem::path(image).lexically_normal().string());
  EXPECT_EQ(*all[0].iteration, 10);
  EXPECT_EQ(store.artifacts(id, "checkpoint").size(), 1u);
  EXPECT_TRUE(error_contains([&] { store.record_artifact(id, "masks", dir_.file("none.png")); },
                             "does not exist"));
}

TEST_F(StoreTest, NewerSchemaIsAClearError) {
  Store::open(path_);
  raw_sql(path_, "PRAGMA user_version = " + std::to_string(kStoreSchemaVersion + 1));
  EXPECT_TRUE(error_contains([&] { Store::open(path_); }, "newer than the"));
}

TEST_F(StoreTest, ForeignFilesAreRefused) {
  raw_sql(path_, "CREATE TABLE photos (id INTEGER)");
  EXPECT_TRUE(error_contains([&] { Store::open(path_); }, "not a dtisprites results store"));
  const std::string text = dir_.file("notes.txt");
  std::ofstream(text) << std::string(200, 'x');
  EXPECT_TRUE(error_contains([&] { Store::open(text); }, "not a SQLite database"));
  EXPECT_TRUE(
      error_contains([&] { Store::open(dir_.file("missing/dir/x.sqlite")); }, "cannot open"));
}

TEST_F(StoreTest, ImportSkipsKeysAlreadyPresent) {
  Store store = Store::open(path_);
  ImportedRun imported;
  imported.spec = spec_for("BM_Compose/K:19", 0, "{\"date\":\"2024\"}");
  imported.spec.experiment = "bench";
  imported.host = "ci-runner";
  imported.started_at = imported.ended_at = "2024-05-01T10:00:00.000Z";
  imported.outcome.images_per_second = 1234.5;
  imported.metrics = {{"real_time_ns", 5e5, std::nullopt}};
  EXPECT_EQ(store.import_runs({imported}), 1);
  EXPECT_EQ(store.import_runs({imported}), 0);
  const auto runs = store.list_runs(RunFilter("bench"));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].host, "ci-runner");
  EXPECT_EQ(runs[0].status, RunStatus::finished);
  EXPECT_EQ(runs[0].liveness, Liveness::ended);
  EXPECT_DOUBLE_EQ(store.final_metrics(runs[0].id).at("real_time_ns"), 5e5);
}

// `runexp collect` stores a Slurm task's run with its artifacts and data source in one
// transaction (issue 13 item 3's kind of gap): a failure part-way leaves no run behind, so the
// next collect imports all of it instead of finding a finished run without its files.
TEST_F(StoreTest, ImportRecordsArtifactsAndDataWithTheRunOrNothing) {
  Store store = Store::open(path_);
  const std::string png = dir_.file("sprites.png");
  std::ofstream(png) << "png";
  ImportedRun imported;
  imported.spec = spec_for("tetrominoes", 0);
  imported.host = "node-7";
  imported.started_at = imported.ended_at = "2026-11-30T10:00:00.000Z";
  imported.metrics = {{"ari_fg", 0.9, std::nullopt}};
  imported.data = {"generated", "generated data, not the paper's"};
  Artifact sprites;
  sprites.kind = "sprites";
  sprites.path = png;
  Artifact missing = sprites;
  missing.kind = "checkpoint";
  missing.path = dir_.file("gone.ckpt");
  imported.artifacts = {sprites, missing};
  EXPECT_TRUE(error_contains([&] { store.import_runs({imported}); }, "gone.ckpt"));
  EXPECT_TRUE(store.list_runs(RunFilter("table1")).empty());

  imported.artifacts = {sprites};
  ASSERT_EQ(store.import_runs({imported}), 1);
  const auto runs = store.list_runs(RunFilter("table1"));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].data.kind, "generated");
  const auto files = store.artifacts(runs[0].id);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].kind, "sprites");
}

TEST_F(StoreTest, FailedWriteLeavesNothingBehind) {
  Store store = Store::open(path_);
  const int64_t id = store.start_run(spec_for("tetrominoes", 0));
  // The second point is invalid: the whole batch is rolled back, the first point included.
  EXPECT_TRUE(error_contains(
      [&] {
        store.record_metrics(id, {{"loss", 1.0, 1}, {"", 2.0, 2}});
      },
      "empty metric name"));
  EXPECT_TRUE(store.metrics(id).empty());
}

}  // namespace
}  // namespace dti::reports
