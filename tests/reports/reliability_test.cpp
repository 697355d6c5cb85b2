// Regression tests of reports/results/reliability.md: each pins one failure found by killing,
// racing and feeding bad files to `runexp` (items 2, 3, 4 and 6 there).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "reports/atomic_file.h"
#include "reports/liveness.h"
#include "reports/store.h"
#include "tests/reports/temp_dir.h"
#include "tests/support/expect_error.h"

namespace dti::reports {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

RunSpec spec_for(const std::string& cell) {
  RunSpec spec;
  spec.experiment = "table1";
  spec.cell = cell;
  spec.dataset = cell;
  spec.seed = 1;
  spec.config_text = "lr: 1e-4\n";
  return spec;
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void touch(const std::string& path, const std::string& text = "x") {
  std::ofstream(path, std::ios::binary) << text;
}

// A pid that surely names no process: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

// Item 6: another tool's SQLite file was switched to WAL before being refused.
TEST(Reliability, ForeignSqliteFileIsRefusedUnchanged) {
  TempDir dir;
  const std::string path = dir.file("theirs.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string before = bytes_of(path);
  EXPECT_ERROR_CONTAINS(Store::open(path), "not a dtisprites results store");
  EXPECT_EQ(bytes_of(path), before);  // header bytes 18-19 say WAL once switched
  EXPECT_FALSE(fs::exists(path + "-wal"));
}

// Found by tests/fuzz/store_fuzzer.cpp: a damaged SQLite file whose schema reads as empty passed
// the foreign-file check, was switched to WAL, and only then refused as malformed.
TEST(Reliability, DamagedSqliteFileThatLooksEmptyIsRefusedUnchanged) {
  TempDir dir;
  const std::string path = dir.file("damaged.sqlite");
  fs::copy_file(std::string(DTI_SOURCE_DIR) +
                    "/tests/fuzz/store_corpus/regress_damaged_looks_empty.sqlite3db",
                path);
  const std::string before = bytes_of(path);
  EXPECT_ERROR_CONTAINS(Store::open(path), "is a damaged SQLite file (quick_check: ");
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_FALSE(fs::exists(path + "-wal"));
}

// Found by tests/fuzz/store_fuzzer.cpp: a store (in rollback-journal mode) whose version number
// went back failed its migration after the switch to WAL had already rewritten the header.
TEST(Reliability, FailedMigrationLeavesTheFileUnchanged) {
  TempDir dir;
  const std::string path = dir.file("r.sqlite");
  Store::open(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 1;", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string before = bytes_of(path);
  EXPECT_ERROR_CONTAINS(Store::open(path), "duplicate column name");
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_FALSE(fs::exists(path + "-wal"));
}

// Item 3: a resumed run re-records its artifacts; they must not be duplicated.
TEST(Reliability, RecordingAnArtifactTwiceKeepsOneRow) {
  TempDir dir;
  Store store = Store::open(dir.file("store.sqlite"));
  const int64_t run = store.start_run(spec_for("tetrominoes"));
  touch(dir.file("sprites.png"));
  touch(dir.file("checkpoint.ckpt"));
  const int64_t first = store.record_artifact(run, "sprites", dir.file("sprites.png"), "all");
  store.record_artifact(run, "checkpoint", dir.file("checkpoint.ckpt"), "final", 10);
  // The resumed process records the same files again before finishing.
  EXPECT_EQ(store.record_artifact(run, "sprites", dir.file("sprites.png"), "all"), first);
  store.record_artifact(run, "checkpoint", dir.file("checkpoint.ckpt"), "final", 12);
  const auto artifacts = store.artifacts(run);
  ASSERT_EQ(artifacts.size(), 2u);
  EXPECT_EQ(artifacts[1].iteration, std::optional<int64_t>(12));
}

// Item 2: a live process on this host whose heartbeat is old was taken over.
TEST(Reliability, LiveProcessOnThisHostIsNeverStale) {
  TempDir dir;
  StoreOptions options;
  options.stale_after_seconds = 1e-6;  // any heartbeat is "old"
  Store store = Store::open(dir.file("store.sqlite"), options);
  const int64_t id = store.start_run(spec_for("tetrominoes"));
  EXPECT_EQ(store.run(id).liveness, Liveness::alive);
  // A second process with the same key must leave it alone.
  const pid_t child = fork();
  if (child == 0) {
    Store other = Store::open(dir.file("store.sqlite"), options);
    _exit(other.claim_run(spec_for("tetrominoes")).result == ClaimResult::running_elsewhere ? 0
                                                                                            : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(store.run(id).attempts, 1);
}

TEST(Reliability, DeadOrPidReusingProcessIsStale) {
  EXPECT_FALSE(process_owns_heartbeat(dead_pid(), 0.0));
  // This process started moments ago: it cannot have written a heartbeat a day old.
  EXPECT_TRUE(process_owns_heartbeat(getpid(), 0.0));
  EXPECT_FALSE(process_owns_heartbeat(getpid(), 86400.0 * 365));
}

TEST(Reliability, HeartbeatTimerBeatsWithoutTraining) {
  TempDir dir;
  Store store = Store::open(dir.file("store.sqlite"));
  const int64_t id = store.start_run(spec_for("tetrominoes"));
  const std::string first = store.run(id).heartbeat_at;
  {
    HeartbeatTimer timer(store.path(), {}, id, 0.01);
    while (timer.beats() < 3 && timer.last_error().empty()) usleep(5000);
    EXPECT_EQ(timer.last_error(), "");
  }
  EXPECT_GT(store.run(id).heartbeat_at, first);
}

// Item 4: temporaries of killed processes stayed forever; a live process's must stay.
TEST(Reliability, DeadProcessesTemporariesAreRemovedLiveOnesKept) {
  TempDir dir;
  const std::string dead = std::to_string(dead_pid());
  const std::string live = std::to_string(getppid());
  fs::create_directories(dir.path() / "run" / "images");
  const std::vector<std::string> gone = {
      "run/checkpoint.ckpt.tmp-" + dead, "run/images/sprites.png.tmp." + dead,
      "tetrominoes.h5.partial-" + dead, "run/images/a.png.partial-" + dead + ".png"};
  for (const auto& name : gone) touch(dir.file(name));
  fs::create_directories(dir.path() / ("table1.partial." + dead) / "assets");
  const std::vector<std::string> kept = {"run/checkpoint.ckpt", "run/checkpoint.ckpt.previous",
                                         "run/checkpoint.ckpt.tmp-" + live, "notes.tmp.txt",
                                         "run/images/sprites.png"};
  for (const auto& name : kept) touch(dir.file(name));
  // A kill between the report's two renames: the old report survives only as .previous.
  fs::create_directories(dir.path() / ("table2.previous." + dead));
  touch(dir.file("table2.previous." + dead + "/index.html"), "old report");

  // Just written: kept while they might belong to a live process of another host.
  EXPECT_TRUE(remove_dead_temporaries(dir.path().string(), true).empty());
  const auto done = remove_dead_temporaries(dir.path().string(), true, 0.0);
  EXPECT_EQ(done.size(), gone.size() + 2);
  for (const auto& name : gone) EXPECT_FALSE(fs::exists(dir.file(name))) << name;
  EXPECT_FALSE(fs::exists(dir.file("table1.partial." + dead)));
  for (const auto& name : kept) EXPECT_TRUE(fs::exists(dir.file(name))) << name;
  EXPECT_EQ(bytes_of(dir.file("table2/index.html")), "old report");
}

TEST(Reliability, TemporaryNamesAreRecognisedExactly) {
  EXPECT_EQ(temporary_owner("checkpoint.ckpt.tmp-123"), 123);
  EXPECT_EQ(temporary_owner("x.png.tmp.45"), 45);
  EXPECT_EQ(temporary_owner("d.h5.partial-6"), 6);
  EXPECT_EQ(temporary_owner("a.png.partial-7.png"), 7);
  EXPECT_EQ(temporary_owner("table1.partial.8"), 8);
  EXPECT_EQ(temporary_owner("table1.previous.9"), 9);
  EXPECT_EQ(temporary_owner("checkpoint.ckpt.previous"), 0);
  EXPECT_EQ(temporary_owner("notes.tmp.txt"), 0);
  EXPECT_EQ(temporary_owner(".tmp.12"), 0);
}

}  // namespace
}  // namespace dti::reports
