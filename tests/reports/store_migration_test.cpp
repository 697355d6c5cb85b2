// Reopening a store written by an older build: a version-1 file, written here by hand-written SQL
// (not by the migration code under test), must come out at the current version with its data.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "reports/store.h"
#include "reports/store_schema.h"
#include "tests/reports/temp_dir.h"

namespace dti::reports {
namespace {

// The version-1 layout as released: no pid, heartbeat or attempts on runs.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE experiments (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY, experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  cell TEXT NOT NULL, dataset TEXT NOT NULL, variant TEXT NOT NULL, seed INTEGER NOT NULL,
  config_text TEXT NOT NULL, config_hash TEXT NOT NULL, code_version TEXT NOT NULL,
  libtorch_version TEXT NOT NULL, device TEXT NOT NULL, host TEXT NOT NULL,
  started_at TEXT NOT NULL, ended_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
  final_loss REAL, iterations INTEGER, images_per_second REAL, peak_memory_bytes INTEGER,
  error TEXT NOT NULL DEFAULT '');
CREATE INDEX runs_by_cell ON runs (experiment_id, cell, seed, config_hash);
CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL, iteration INTEGER, value REAL NOT NULL);
CREATE UNIQUE INDEX metrics_by_run ON metrics (run_id, name, ifnull(iteration, -1));
CREATE TABLE artifacts (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id)
  ON DELETE CASCADE, kind TEXT NOT NULL, path TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
  iteration INTEGER);
CREATE INDEX artifacts_by_run ON artifacts (run_id, kind);
INSERT INTO experiments VALUES (1, 'table1', 'old store', '2023-01-01T00:00:00.000Z');
INSERT INTO runs VALUES (1, 1, 'tetrominoes', 'tetrominoes', 'full', 0, 'lr: 1e-4', 'abc', 'v0',
  '1.13.1', 'cpu', 'old-host', '2023-01-01T00:00:00.000Z', '2023-01-01T05:00:00.000Z', 'finished',
  0.0015, 1000, 66.0, 123456, '');
INSERT INTO runs VALUES (2, 1, 'tetrominoes', 'tetrominoes', 'full', 1, 'lr: 1e-4', 'abc', 'v0',
  '1.13.1', 'cpu', 'old-host', '2023-01-02T00:00:00.000Z', NULL, 'running',
  NULL, NULL, NULL, NULL, '');
INSERT INTO metrics VALUES (1, 'ari_fg', NULL, 0.996), (1, 'loss', 10, 0.5), (1, 'loss', 20, 0.4);
INSERT INTO artifacts VALUES (1, 1, 'sprites', '/results/sprites.png', '', 1000);
PRAGMA user_version = 1;
PRAGMA application_id = 1146374483;
)sql";

TEST(StoreMigration, Version1FileIsMigratedWithItsData) {
  test::TempDir dir;
  const std::string path = dir.file("old.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, kVersion1, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  ASSERT_EQ(kStoreApplicationId, 1146374483);

  Store store = Store::open(path);
  EXPECT_EQ(store.schema_version(), kStoreSchemaVersion);
  EXPECT_EQ(store.experiment_description("table1"), "old store");

  const RunRecord finished = store.run(1);
  EXPECT_EQ(finished.status, RunStatus::finished);
  EXPECT_EQ(finished.host, "old-host");
  EXPECT_EQ(finished.attempts, 1);
  EXPECT_EQ(finished.heartbeat_at, "2023-01-01T05:00:00.000Z");  // the end time
  EXPECT_DOUBLE_EQ(*finished.outcome.final_loss, 0.0015);
  EXPECT_EQ(*finished.outcome.peak_memory_bytes, 123456);
  EXPECT_DOUBLE_EQ(store.final_metrics(1).at("ari_fg"), 0.996);
  EXPECT_EQ(store.metric_curve(1, "loss").size(), 2u);
  EXPECT_EQ(store.artifacts(1).at(0).path, "/results/sprites.png");
  EXPECT_EQ(finished.data.kind, "");  // version 3: the data source of older runs is unknown
  EXPECT_EQ(finished.data.note, "");

  // A run the old build left running long ago has no pid: its old heartbeat makes it stale.
  const RunRecord interrupted = store.run(2);
  EXPECT_EQ(interrupted.status, RunStatus::running);
  EXPECT_EQ(interrupted.heartbeat_at, "2023-01-02T00:00:00.000Z");
  EXPECT_EQ(interrupted.liveness, Liveness::stale);

  // The migrated file takes new writes and reopens without migrating again.
  store.finish_run(
      store.start_run(RunSpec{"table1", "clevr6", "clevr6", "", 0, "x", "v1", "1.13.1", "cpu"}),
      {});
  Store again = Store::open(path);
  EXPECT_EQ(again.list_runs(RunFilter("table1")).size(), 3u);
}

}  // namespace
}  // namespace dti::reports
