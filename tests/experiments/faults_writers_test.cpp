// Eight processes write one results store at once, from its creation on (reports/results/
// reliability.md, "Faults as tests"): every run, metric point and artifact of each arrives
// exactly once, runs claimed by all eight are started once, and the file stays intact.
#include <set>

#include "reports/store.h"
#include "tests/experiments/faults_support.h"
#include "tests/support/run_spec.h"

namespace dti::test {
namespace {

constexpr int kWriters = 8;
constexpr int kRuns = 12;
constexpr int kPoints = 15;

// One writer's share: its own runs with a curve and artifacts (each artifact recorded twice, as
// a resumed run does), and a claim on every shared run.
void write_share(const std::string& path, const fs::path& files, int writer) {
  auto store = reports::Store::open(path, reports::StoreOptions{60000});
  const std::string cell = "writer" + std::to_string(writer);
  for (int i = 0; i < kRuns; ++i) {
    const int64_t id = store.start_run(test_run_spec(cell, i));
    std::vector<reports::MetricPoint> points;
    for (int p = 0; p < kPoints; ++p) points.push_back({"loss", 1.0 / (p + 1), p});
    store.record_metrics(id, points);
    for (int repeat = 0; repeat < 2; ++repeat) {
      store.record_artifact(id, "sprites", (files / "sprites.png").string());
      store.record_artifact(id, "checkpoint", (files / "checkpoint.ckpt").string());
    }
    store.finish_run(id, reports::RunOutcome{0.01 * i, kPoints, 10.0, 1000});
    const auto shared = store.claim_run(test_run_spec("shared", i));
    if (shared.result == reports::ClaimResult::started) store.finish_run(shared.run.id, {});
  }
}

class WritersTest : public FaultsTest {};

TEST_F(WritersTest, EightWritersOnOneStoreLoseAndRepeatNothing) {
  const std::string path = (dir_ / "results.sqlite").string();
  for (const char* name : {"sprites.png", "checkpoint.ckpt"}) std::ofstream(dir_ / name) << "x";
  int start[2];
  ASSERT_EQ(pipe(start), 0);
  std::vector<pid_t> children;
  for (int writer = 0; writer < kWriters; ++writer) {
    const pid_t pid = fork();
    if (pid == 0) {
      close(start[1]);
      char go = 0;
      int code = read(start[0], &go, 1) < 0 ? 4 : 0;  // all start when the pipe closes
      try {
        if (code == 0) write_share(path, dir_, writer);
      } catch (const std::exception& error) {
        fprintf(stderr, "writer %d: %s\n", writer, error.what());
        code = 1;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  close(start[0]);
  close(start[1]);
  for (pid_t child : children) EXPECT_EQ(wait_for(child, 300.0), 0);

  EXPECT_EQ(store_integrity(path), "ok");
  EXPECT_EQ(duplicate_rows(path), std::vector<std::string>{});
  auto store = reports::Store::open(path);
  for (int writer = 0; writer < kWriters; ++writer) {
    const auto runs =
        store.list_runs(reports::RunFilter("table1", "writer" + std::to_string(writer)));
    ASSERT_EQ(runs.size(), static_cast<size_t>(kRuns)) << "writer " << writer;
    for (const auto& run : runs) {
      EXPECT_EQ(run.status, reports::RunStatus::finished);
      EXPECT_EQ(store.metric_curve(run.id, "loss").size(), static_cast<size_t>(kPoints));
      EXPECT_EQ(store.artifacts(run.id).size(), 2u);
    }
  }
  const auto shared = store.list_runs(reports::RunFilter("table1", "shared"));
  std::set<int64_t> seeds;
  for (const auto& run : shared) seeds.insert(run.spec.seed);
  EXPECT_EQ(shared.size(), static_cast<size_t>(kRuns));
  EXPECT_EQ(seeds.size(), static_cast<size_t>(kRuns));
}

}  // namespace
}  // namespace dti::test
