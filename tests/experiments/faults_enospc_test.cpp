// A full disk on every write path (reports/results/reliability.md, "Faults as tests"): the
// results store, checkpoints, report images, tables and HTML reports, generated dataset files
// and run-folder records. Each write to a full tmpfs must fail with an error naming the file and
// the full disk, leave no temporary behind and leave what was there before intact. The launcher
// stops a table at the first "no space" failure, in process and with --jobs (item 11).
//
// A tmpfs of a few MiB is mounted per test (root only: CI's containers and this machine; the
// tests skip elsewhere) and filled to the last byte before the write under test.
#include <ATen/ATen.h>

#include <sstream>

#include "core/checkpoint.h"
#include "experiments/results/render.h"
#include "experiments/run/run_record.h"
#include "experiments/suite/registry.h"
#include "reports/image.h"
#include "reports/store.h"
#include "tests/experiments/faults_support.h"
#include "tests/experiments/runexp_harness.h"
#include "tests/support/expect_error.h"
#include "tests/support/run_spec.h"

namespace dti::test {
namespace {

constexpr size_t kMiB = 1 << 20;

// A message that says the disk is full, in one of the ways the suite's writers say it.
::testing::AssertionResult says_disk_full(const std::string& message) {
  for (const char* words : {"No space left on device", "disk is full", "no space left"}) {
    if (message.find(words) != std::string::npos) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "not a clear full-disk error: " << message;
}

reports::RunSpec spec_for(int64_t seed) { return test_run_spec("tetrominoes", seed); }

class FullDiskTest : public FaultsTest {};

TEST_F(FullDiskTest, StoreRefusesCleanlyAndKeepsItsRows) {
  DTI_MOUNT_TMPFS_OR_SKIP("disk", 2 * kMiB);
  const std::string path = (mount_ / "results.sqlite").string();
  {
    auto store = reports::Store::open(path);
    const int64_t id = store.start_run(spec_for(0));
    store.record_metrics(id, {{"loss", 0.5, 1}, {"loss", 0.25, 2}});
    store.finish_run(id, reports::RunOutcome{0.25, 2, 1.0, 0});
  }
  {
    auto store = reports::Store::open(path);  // open while there is room: -wal and -shm exist
    fill();
    std::vector<reports::MetricPoint> points;
    for (int i = 0; i < 20000; ++i) points.push_back({"loss", 0.1, i});
    const std::string message = error_message([&] {
      const int64_t id = store.start_run(spec_for(1));
      store.record_metrics(id, points);
    });
    EXPECT_TRUE(says_disk_full(message));
    EXPECT_CONTAINS(message, path);
  }
  // Opening the full store anew (its -wal and -shm must be made again) fails as clearly.
  EXPECT_TRUE(says_disk_full(error_message([&] {
    auto store = reports::Store::open(path);
    store.start_run(spec_for(2));
  })));
  unfill();
  EXPECT_EQ(store_integrity(path), "ok");
  EXPECT_TRUE(duplicate_rows(path).empty());
  auto store = reports::Store::open(path);
  const auto runs = store.list_runs(reports::RunFilter("table1", "tetrominoes"));
  ASSERT_GE(runs.size(), 1u);
  EXPECT_EQ(runs.front().spec.seed, 0);
  EXPECT_EQ(store.metric_curve(runs.front().id, "loss").size(), 2u);
}

TEST_F(FullDiskTest, CheckpointSaveFailsAndKeepsTheGoodOnes) {
  DTI_MOUNT_TMPFS_OR_SKIP("disk", 2 * kMiB);
  const std::string path = (mount_ / "checkpoint.ckpt").string();
  auto numbered = [](int value) {
    core::Checkpoint ck;
    ck.metadata["value"] = std::to_string(value);
    ck.tensors.push_back({"w", at::full({64 * 1024}, value, at::kFloat)});  // 256 KiB
    return ck;
  };
  core::save_checkpoint(path, numbered(1));
  core::save_checkpoint(path, numbered(2));
  const std::string latest = file_bytes(path);
  const std::string previous = file_bytes(core::previous_checkpoint_path(path));
  fill();
  const std::string message = error_message([&] { core::save_checkpoint(path, numbered(3)); });
  EXPECT_TRUE(says_disk_full(message));
  EXPECT_CONTAINS(message, path);
  EXPECT_EQ(file_bytes(path), latest);
  EXPECT_EQ(file_bytes(core::previous_checkpoint_path(path)), previous);
  EXPECT_EQ(core::load_checkpoint(path).meta("value"), "2");
  EXPECT_EQ(temporaries_under(mount_), std::vector<std::string>{});
}

TEST_F(FullDiskTest, ImageWriteFailsAndKeepsTheOldImage) {
  DTI_MOUNT_TMPFS_OR_SKIP("disk", 1 * kMiB);
  const std::string path = (mount_ / "images/sprites.png").string();
  auto image = reports::Image::zeros(64, 64, 3);
  reports::write_png(path, image);
  const std::string good = file_bytes(path);
  fill();
  for (auto& v : image.data) v = 0.5f;
  const std::string message = error_message([&] { reports::write_png(path, image); });
  EXPECT_TRUE(says_disk_full(message));
  EXPECT_CONTAINS(message, path);
  EXPECT_EQ(file_bytes(path), good);
  EXPECT_EQ(temporaries_under(mount_), std::vector<std::string>{});
}

TEST_F(FullDiskTest, RunRecordsFailAndKeepTheOldOnes) {
  DTI_MOUNT_TMPFS_OR_SKIP("disk", 1 * kMiB);
  const std::string run_dir = (mount_ / "runs/table1/tetrominoes/seed0").string();
  fs::create_directories(run_dir);
  experiments::FolderRecord record;
  record.status = "finished";
  record.spec = spec_for(0);
  record.metrics = {{"ari", 0.5, std::nullopt}};
  experiments::write_record(run_dir, record);
  experiments::write_progress(run_dir, experiments::RunProgress{10, 18, 0.5, 3.0});
  const std::string good_record = file_bytes(fs::path(run_dir) / experiments::kRecordFile);
  const std::string good_progress = file_bytes(fs::path(run_dir) / experiments::kProgressFile);
  fill();
  record.metrics.assign(5000, {"loss", 0.25, 7});
  const std::string message = error_message([&] { experiments::write_record(run_dir, record); });
  EXPECT_TRUE(says_disk_full(message));
  EXPECT_CONTAINS(message, run_dir);
  EXPECT_EQ(file_bytes(fs::path(run_dir) / experiments::kRecordFile), good_record);
  EXPECT_EQ(file_bytes(fs::path(run_dir) / experiments::kProgressFile), good_progress);
  EXPECT_EQ(temporaries_under(mount_), std::vector<std::string>{});
}

TEST_F(FullDiskTest, ReportsFailAndKeepTheOldTablesAndPage) {
  DTI_MOUNT_TMPFS_OR_SKIP("disk", 2 * kMiB);
  experiments::RunnerOptions options;
  options.out_dir = (mount_ / "out").string();
  options.db_path = (dir_ / "results.sqlite").string();  // elsewhere: only the reports are full
  options.preset = "smoke";
  const auto& experiment = experiments::find_experiment("table1");
  std::ostringstream out;
  experiments::render_results(experiment, options, out);
  std::vector<std::pair<fs::path, std::string>> good;
  for (const auto& entry : fs::recursive_directory_iterator(options.out_dir)) {
    if (entry.is_regular_file()) good.emplace_back(entry.path(), file_bytes(entry.path()));
  }
  ASSERT_GE(good.size(), 3u);  // the Markdown, LaTeX and CSV tables at least
  fill();
  const std::string message =
      error_message([&] { experiments::render_results(experiment, options, out); });
  EXPECT_TRUE(says_disk_full(message));
  for (const auto& [path, bytes] : good) EXPECT_EQ(file_bytes(path), bytes) << path;
  EXPECT_EQ(temporaries_under(mount_), std::vector<std::string>{});
}

TEST_F(FullDiskTest, DataGenerationFailsAndKeepsTheOtherFiles) {
  DTI_MOUNT_TMPFS_OR_SKIP("disk", 1 * kMiB);
  const fs::path good = mount_ / "tetrominoes_n48.h5";
  const auto made =
      run_runexp(dir_, "data generate tetrominoes --n 48 --seed 0 --out " + good.string());
  ASSERT_EQ(made.code, 0) << made.output;
  const std::string good_bytes = file_bytes(good);
  fill();
  const fs::path bad = mount_ / "multi_dsprites_n48.h5";
  const auto full =
      run_runexp(dir_, "data generate multi_dsprites --n 48 --seed 0 --out " + bad.string());
  EXPECT_NE(full.code, 0);
  EXPECT_TRUE(says_disk_full(full.output));
  EXPECT_CONTAINS(full.output, bad.string());
  EXPECT_FALSE(fs::exists(bad));
  EXPECT_EQ(file_bytes(good), good_bytes);
  EXPECT_EQ(temporaries_under(mount_), std::vector<std::string>{});
  unfill();
  const auto inspect = run_runexp(dir_, "data inspect " + good.string());
  EXPECT_EQ(inspect.code, 0) << inspect.output;
}

// Item 11: the first run finds no room for its checkpoints before training; the launcher stops
// the table there instead of trying every remaining run.
TEST_F(FullDiskTest, InProcessLauncherStopsTheTableAtTheFirstFullDisk) {
  DTI_MOUNT_TMPFS_OR_SKIP("disk", 4 * kMiB);  // less than three Tetrominoes checkpoints
  const auto run = run_runexp(dir_,
                              "table1 --preset smoke --seeds 2 --threads 1 --quiet "
                              "--data-dir data --db results.sqlite --out " +
                                  (mount_ / "out").string());
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_CONTAINS(run.output, "the disk is full; the 5 remaining runs are not started");
  EXPECT_CONTAINS(run.output, "table1: 1 runs");
  EXPECT_CONTAINS(run.output, "no space left for a checkpoint");
}

TEST_F(FullDiskTest, ProcessPoolStopsTheTableAtTheFirstFullDisk) {
  DTI_MOUNT_TMPFS_OR_SKIP("disk", 4 * kMiB);
  const auto run = run_runexp(dir_,
                              "table1 --preset smoke --seeds 3 --threads 2 --jobs 2 "
                              "--quiet --data-dir data --db results.sqlite --out " +
                                  (mount_ / "out").string());
  EXPECT_EQ(run.code, 1) << run.output;
  // Two jobs start at once and both find the disk full; none of the other 7 starts.
  EXPECT_CONTAINS(run.output, "the disk is full; the 7 remaining runs are not started");
  EXPECT_CONTAINS(run.output, "table1: 2 runs");
  EXPECT_EQ(run.output.find("job started: multi_dsprites"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace dti::test
