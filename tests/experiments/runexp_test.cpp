// runexp end to end, as a user runs it: the smoke table (runs stored, table printed, report
// written), idempotence, resumption after a kill, strict configs, usage errors and missing data.
// Each test works in its own temporary folder and runs the real runexp binary.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/checkpoint.h"
#include "reports/store.h"
#include "tests/experiments/runexp_harness.h"

namespace dti::test {
namespace {
namespace fs = std::filesystem;

// The runner of tests/experiments/runexp_harness.h, in a scratch folder per test.
class RunexpTest : public ScratchFolderTest {};

// --jobs: the runs go to `runexp run-cell` child processes (launcher.h), each with its log, and
// their exit codes come back as statuses; the store ends as after an in-process run.
TEST_F(RunexpTest, JobsRunInChildProcessesAndReportTheirStatus) {
  auto r = runexp("fig8 --preset smoke --seeds 1 --jobs 2 --quiet --set model.n_sprites=3");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("job finished: tetrominoes/K=10 seed 0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fig8: 6 runs"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "out/logs/fig8_tetrominoes_K=10_seed0.log"));
  auto store = reports::Store::open((dir_ / "out/results.sqlite").string());
  const auto runs = store.list_runs(reports::RunFilter("fig8"));
  ASSERT_EQ(runs.size(), 6u);
  for (const auto& run : runs) EXPECT_EQ(run.status, reports::RunStatus::finished) << run.error;
  // A child whose run fails (its data file is damaged) exits 1 and is reported failed.
  for (const auto& entry : fs::directory_iterator(dir_ / "data")) fs::resize_file(entry, 100);
  r = runexp("fig8 --preset smoke --seeds 1 --jobs 2 --quiet --set model.n_sprites=4");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("job failed: tetrominoes/K=10 seed 0"), std::string::npos) << r.output;
}

TEST_F(RunexpTest, SmokeTable1StoresRunsPrintsTableAndWritesReport) {
  auto r = runexp("table1 --preset smoke --seeds 2 --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("| DTI-Sprites (ours) |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("runexp data convert clevr6"), std::string::npos)
      << "CLEVR6 is reported missing";
  EXPECT_NE(r.output.find("note: preset 'smoke' is a short run, not the paper's setting"),
            std::string::npos)
      << r.output;
  auto store = reports::Store::open((dir_ / "out/results.sqlite").string());
  auto runs = store.list_runs(reports::RunFilter("table1"));
  ASSERT_EQ(runs.size(), 4u) << "2 seeds of Tetrominoes and Multi-dSprites";
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, reports::RunStatus::finished) << run.spec.cell << " " << run.error;
    const auto metrics = store.final_metrics(run.id);
    for (const char* m : {"ari", "ari_fg", "macc", "miou", "loss"})
      EXPECT_TRUE(metrics.count(m)) << m;
    EXPECT_TRUE(run.outcome.final_loss.has_value());
    EXPECT_FALSE(store.artifacts(run.id, "sprites").empty());
  }
  EXPECT_TRUE(fs::exists(dir_ / "out/tables/table1.md"));
  EXPECT_TRUE(fs::exists(dir_ / "out/tables/table1.tex"));
  EXPECT_TRUE(fs::exists(dir_ / "out/reports/table1/index.html"));

  // Idempotent: nothing is trained again.
  r = runexp("table1 --preset smoke --seeds 2 --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("tetrominoes seed 1: already finished"), std::string::npos) << r.output;
  EXPECT_EQ(store.list_runs(reports::RunFilter("table1")).size(), 4u);
}

TEST_F(RunexpTest, KilledRunResumesFromItsCheckpointAndEndsLikeAnUninterruptedOne) {
  // --device cpu: the comparison is bit for bit, which only the CPU promises (the default,
  // auto, would train on a visible GPU).
  const std::string args =
      "train --config tetrominoes --seed 3 --preset smoke --quiet --threads 1 --device cpu "
      "--set training.checkpoint_interval=6 --set training.max_iterations=18";
  // Uninterrupted reference in its own folder.
  const fs::path ref = dir_ / "reference";
  fs::create_directories(ref);
  auto r = run_runexp(ref, args);
  ASSERT_EQ(r.code, 0) << r.output;

  // Started in a child process and killed after its first checkpoint.
  const fs::path run = dir_ / "killed";
  fs::create_directories(run);
  const pid_t pid = fork();
  if (pid == 0) {
    std::string command =
        "cd '" + run.string() + "' && exec '" DTI_RUNEXP "' " + args + " > log.txt 2>&1";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  fs::path checkpoint;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (checkpoint.empty() && std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(run / "out/runs")) {
      for (const auto& e : fs::recursive_directory_iterator(run / "out/runs")) {
        if (e.path().filename() == "checkpoint.ckpt") checkpoint = e.path();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(checkpoint.empty()) << "no checkpoint appeared";
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const auto iteration = std::stoll(core::load_checkpoint(checkpoint.string()).meta("iteration"));
  ASSERT_LT(iteration, 18) << "killed too late to test resumption";

  r = run_runexp(run, args);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming from"), std::string::npos) << r.output;
  auto store = reports::Store::open((run / "out/results.sqlite").string());
  auto runs = store.list_runs(reports::RunFilter("train"));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, reports::RunStatus::finished);
  EXPECT_EQ(runs[0].attempts, 2);

  // Same final parameters as the uninterrupted run (CPU, same seed).
  fs::path ref_checkpoint;
  for (const auto& e : fs::recursive_directory_iterator(ref / "out/runs")) {
    if (e.path().filename() == "checkpoint.ckpt") ref_checkpoint = e.path();
  }
  const auto a = core::load_checkpoint(ref_checkpoint.string());
  const auto b = core::load_checkpoint(checkpoint.string());
  ASSERT_EQ(a.meta("iteration"), "18");
  ASSERT_EQ(b.meta("iteration"), "18");
  int compared = 0;
  for (const auto& t : a.tensors) {
    if (t.name.rfind("model.", 0) != 0) continue;
    EXPECT_TRUE(at::equal(t.tensor, b.tensor(t.name))) << t.name;
    ++compared;
  }
  EXPECT_GT(compared, 10);
}

TEST_F(RunexpTest, MisspeltConfigKeyNamesKeyAndSuggestion) {
  auto r = runexp("train --config tetrominoes --preset smoke --set model.n_sprite=3");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("n_sprite"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'n_sprites'"), std::string::npos) << r.output;
}

TEST_F(RunexpTest, UsageErrorsExitWithTwoAndListTheValidChoices) {
  auto r = runexp("table7");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("valid: "), std::string::npos);
  EXPECT_NE(r.output.find("table5"), std::string::npos) << r.output;
  r = runexp("table1 --preset fastest");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("valid: paper, quick, demo, smoke"), std::string::npos) << r.output;
  r = runexp("table1 --sedes 3");
  EXPECT_EQ(r.code, 2) << r.output;
  r = runexp("table1 --device tpu");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("valid: auto, cpu, cuda"), std::string::npos) << r.output;
  r = runexp("table1 --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("--dry-run"), std::string::npos);
}

TEST_F(RunexpTest, MissingConvertedDataIsReportedWithTheCommandAndTheRestRuns) {
  auto r = runexp("table3 --preset smoke --seeds 1 --quiet");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("runexp data convert gtsrb8"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("runexp data convert svhn"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Table 3"), std::string::npos) << r.output;
}

TEST_F(RunexpTest, DryRunPrintsThePlanWithoutTraining) {
  auto r = runexp("table2 --preset smoke --dry-run");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("multi_dsprites2/exhaustive"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("5 seeds"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "out/results.sqlite"));
}

// The case on a fake list of two GPUs (no GPU needed for a dry run): four runs at once,
// two on each, alternating.
TEST_F(RunexpTest, DryRunShowsFourRunsPlacedTwoPerGpuOnTwoGpus) {
  auto r = runexp(
      "table1 --preset smoke --seeds 2 --jobs 4 --runs-per-gpu 2 --gpus 0,1 --device cuda "
      "--dry-run");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* line : {"placement: 4 runs at once on 2 GPUs (0, 1), at most 2 per GPU\n",
                           "  tetrominoes seed 0 -> GPU 0\n  tetrominoes seed 1 -> GPU 1\n"
                           "  multi_dsprites seed 0 -> GPU 0\n  multi_dsprites seed 1 -> GPU 1\n",
                           "then each of the other 2 runs"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
  r = runexp("table1 --jobs 2 --runs-per-gpu 0 --dry-run");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--runs-per-gpu must be >= 1"), std::string::npos) << r.output;
  r = runexp("table1 --jobs 2 --gpus 0,,1 --device cuda --dry-run");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("e.g. 0,1"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace dti::test
