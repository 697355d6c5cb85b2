// The store under the ways runs really end: a writer SIGKILLed mid-run, two writers at once, and
// runs whose process is gone or silent. Each writer is a forked child with its own connection.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <set>

#include "base/error.h"
#include "reports/store.h"
#include "tests/reports/temp_dir.h"
#include "tests/support/run_spec.h"

namespace dti::reports {
namespace {

using dti::test::test_run_spec;
using test::TempDir;

// Forks a child that runs `body` and exits 0, or 1 when it throws; the parent gets the pid.
pid_t fork_child(const std::function<void()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 0;
    try {
      body();
    } catch (const std::exception& error) {
      fprintf(stderr, "child %d: %s\n", getpid(), error.what());
      code = 1;
    }
    _exit(code);
  }
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string integrity(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr);
  std::string result = "no answer";
  if (sqlite3_step(statement) == SQLITE_ROW)
    result = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return result;
}

class StoreProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { Store::open(path_); }  // schema exists before any child starts
  TempDir dir_;
  std::string path_ = dir_.file("results.sqlite");
};

TEST_F(StoreProcessTest, WriterKilledMidRunStaysRunningAndStale) {
  constexpr int kBatch = 50;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork_child([&] {
    close(ready[0]);
    Store store = Store::open(path_);
    const int64_t id = store.start_run(test_run_spec("tetrominoes", 7));
    for (int64_t iteration = 0;; iteration += kBatch) {
      std::vector<MetricPoint> batch;
      for (int i = 0; i < kBatch; ++i) batch.push_back({"loss", 1.0 / (1 + i), iteration + i});
      store.record_metrics(id, batch);
      if (iteration == kBatch) {  // two batches committed: tell the parent, keep writing
        if (write(ready[1], &id, sizeof id) != sizeof id) _exit(3);
        close(ready[1]);
      }
    }
  });
  close(ready[1]);
  int64_t id = 0;
  ASSERT_EQ(read(ready[0], &id, sizeof id), static_cast<ssize_t>(sizeof id));
  close(ready[0]);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  EXPECT_EQ(wait_exit_code(child), -SIGKILL);

  EXPECT_EQ(integrity(path_), "ok");
  Store store = Store::open(path_);
  const RunRecord killed = store.run(id);
  EXPECT_EQ(killed.status, RunStatus::running);
  EXPECT_EQ(killed.liveness, Liveness::stale);  // its pid is gone on this host
  EXPECT_TRUE(killed.ended_at.empty());
  // Each batch is one transaction: a kill inside one loses that batch whole, never half of it.
  const size_t points = store.metric_curve(id, "loss").size();
  EXPECT_GE(points, 2u * kBatch);
  EXPECT_EQ(points % kBatch, 0u);

  RunFilter finished("table1");
  finished.status = RunStatus::finished;
  EXPECT_TRUE(store.list_runs(finished).empty());
  // The lock died with the child: this process can write and take the run over at once.
  const Claim claim = store.claim_run(test_run_spec("tetrominoes", 7));
  EXPECT_EQ(claim.result, ClaimResult::resumed);
  EXPECT_EQ(claim.run.id, id);
  EXPECT_EQ(claim.run.attempts, 2);
  EXPECT_EQ(claim.run.pid, getpid());
}

TEST_F(StoreProcessTest, TwoWritersAtOnceLoseNothing) {
  constexpr int kRuns = 25;
  constexpr int kPoints = 20;
  int start[2];
  ASSERT_EQ(pipe(start), 0);
  std::vector<pid_t> children;
  for (int writer = 0; writer < 2; ++writer) {
    children.push_back(fork_child([&, writer] {
      close(start[1]);
      char go = 0;
      if (read(start[0], &go, 1) < 0) _exit(4);  // both start together when the pipe closes
      Store store = Store::open(path_, StoreOptions{60000});
      for (int i = 0; i < kRuns; ++i) {
        // Own runs: every one must arrive.
        const int64_t id = store.start_run(test_run_spec("writer" + std::to_string(writer), i));
        std::vector<MetricPoint> points;
        for (int p = 0; p < kPoints; ++p) points.push_back({"loss", p * 0.5, p});
        store.record_metrics(id, points);
        store.finish_run(id, RunOutcome{0.001 * i, kPoints, 10.0, 1000});
        // Shared keys: both writers claim the same runs; exactly one may start each.
        const Claim shared = store.claim_run(test_run_spec("shared", i));
        if (shared.result == ClaimResult::started) store.finish_run(shared.run.id, {});
      }
    }));
  }
  close(start[0]);
  close(start[1]);
  for (pid_t child : children) EXPECT_EQ(wait_exit_code(child), 0);

  Store store = Store::open(path_);
  for (int writer = 0; writer < 2; ++writer) {
    const auto runs = store.list_runs(RunFilter("table1", "writer" + std::to_string(writer)));
    ASSERT_EQ(runs.size(), static_cast<size_t>(kRuns));
    for (const RunRecord& run : runs) {
      EXPECT_EQ(run.status, RunStatus::finished);
      EXPECT_EQ(store.metric_curve(run.id, "loss").size(), static_cast<size_t>(kPoints));
    }
  }
  const auto shared = store.list_runs(RunFilter("table1", "shared"));
  ASSERT_EQ(shared.size(), static_cast<size_t>(kRuns));
  std::set<int64_t> seeds;
  for (const RunRecord& run : shared) seeds.insert(run.spec.seed);
  EXPECT_EQ(seeds.size(), static_cast<size_t>(kRuns));
  EXPECT_EQ(integrity(path_), "ok");
}

// A sweep starts many runs at once on a store that does not exist yet: they race to create the
// file, switch it to WAL and migrate it. Every one must get in.
TEST(StoreProcesses, ManyProcessesOpenANewFileAtOnce) {
  for (int round = 0; round < 10; ++round) {
    TempDir dir;
    const std::string path = dir.file("new.sqlite");
    std::vector<pid_t> children;
    for (int i = 0; i < 6; ++i)
      children.push_back(
          fork_child([&, i] { Store::open(path).start_run(test_run_spec("race", i)); }));
    for (pid_t child : children) EXPECT_EQ(wait_exit_code(child), 0) << "round " << round;
    Store store = Store::open(path);
    EXPECT_EQ(store.list_runs(RunFilter("table1", "race")).size(), 6u);
  }
}

TEST_F(StoreProcessTest, LivenessFollowsProcessAndHeartbeat) {
  Store store = Store::open(path_, StoreOptions{30000, 600.0});
  const int64_t mine = store.start_run(test_run_spec("a", 0));
  const int64_t remote_recent = store.start_run(test_run_spec("b", 0));
  const int64_t remote_silent = store.start_run(test_run_spec("c", 0));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  const std::string sql =
      "UPDATE runs SET host = 'other-host', pid = 1 WHERE id IN (" + std::to_string(remote_recent) +
      "," + std::to_string(remote_silent) +
      ");"
      "UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 hours') "
      "WHERE id = " +
      std::to_string(remote_silent);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  EXPECT_EQ(store.run(mine).liveness, Liveness::alive);
  EXPECT_EQ(store.run(remote_recent).liveness, Liveness::alive);
  EXPECT_EQ(store.run(remote_silent).liveness, Liveness::stale);
  EXPECT_GT(store.run(remote_silent).heartbeat_age_seconds, 7000.0);

  // A live foreign run is not taken over; a silent one is.
  EXPECT_EQ(store.claim_run(test_run_spec("b", 0)).result, ClaimResult::running_elsewhere);
  EXPECT_THROW(store.resume_run(remote_recent), Error);
  EXPECT_EQ(store.claim_run(test_run_spec("c", 0)).result, ClaimResult::resumed);
  // Ending a run that another process owns is refused.
  EXPECT_THROW(store.finish_run(remote_recent, {}), Error);
}

}  // namespace
}  // namespace dti::reports
