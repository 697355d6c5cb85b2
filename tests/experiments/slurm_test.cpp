// The Slurm launcher against a real one-node Slurm (munged, slurmctld and slurmd started here by
// tests/slurm/one_node_cluster.sh with their configs in a temporary folder, stopped by pid at
// the end). Skipped when Slurm or munge is not installed or the test is not root. Label `slurm`.
// Every run reports progress from its first iteration (train_stat_interval=1), so a task is
// signalled or killed well before it ends; Slurm and local runs share the setting (same config).

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/checkpoint.h"
#include "experiments/run_record.h"
#include "reports/store.h"
#include "tests/support/expect_error.h"

namespace dti::experiments {
namespace {
namespace fs = std::filesystem;

struct Result {
  int code = 0;
  std::string out;
};

Result sh(const std::string& command) {
  Result r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) r.out.append(buffer, n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return r;
}

class SlurmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (sh("command -v sbatch && command -v slurmctld && command -v slurmd && command -v munged")
                .code != 0 ||
        geteuid() != 0) {
      skip_reason_ = "needs slurm-wlm and munge (ci/install-deps.sh) and root";
      return;
    }
    std::string pattern = "/tmp/dti_slurm_XXXXXX";
    dir_ = mkdtemp(pattern.data());
    const auto start = sh(script() + " start '" + dir_ + "/cluster'");
    if (start.code != 0) {
      skip_reason_ = "the one-node cluster did not start: " + start.out;
      return;
    }
    setenv("SLURM_CONF", (dir_ + "/cluster/slurm.conf").c_str(), 1);
  }
  static void TearDownTestSuite() {
    if (dir_.empty()) return;
    sh(script() + " stop '" + dir_ + "/cluster'");
    fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }
  static std::string script() { return DTI_SOURCE_DIR "/tests/slurm/one_node_cluster.sh"; }

  // `runexp <args>` in the test folder (the data folder is shared by the tests).
  static Result runexp(const std::string& args) {
    return sh("cd '" + dir_ + "' && '" DTI_RUNEXP "' " + args + " --data-dir data --threads 1");
  }
  // Waits until Slurm's queue is empty (the array and its collect job ended).
  static void wait_for_queue(int seconds = 600) {
    for (int i = 0; i < seconds * 2; ++i) {
      if (sh("squeue -h | wc -l").out == "0\n") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    FAIL() << "the queue did not empty in " << seconds << " s:\n" << sh("squeue").out;
  }
  // The folder of `out`'s run of `cell` seed `seed` (its progress file appears when it trains).
  static std::string wait_for_progress(const std::string& out, const std::string& prefix) {
    for (int i = 0; i < 1200; ++i) {
      for (const auto& f : find_run_folders(dir_ + "/" + out)) {
        if (f.find(prefix) != std::string::npos && read_progress(f)) return f;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return "";
  }
  static std::map<std::string, std::map<std::string, double>> finished(const std::string& out) {
    auto store = reports::Store::open(dir_ + "/" + out + "/results.sqlite");
    std::map<std::string, std::map<std::string, double>> runs;
    for (const auto& r : store.list_runs(reports::RunFilter("table1"))) {
      if (r.status == reports::RunStatus::finished) {
        runs[r.spec.cell + " " + std::to_string(r.spec.seed)] = store.final_metrics(r.id);
      }
    }
    return runs;
  }

  static inline std::string dir_, skip_reason_;
};

// Table 1 (smoke, 2 seeds; CLEVR6 has no data here) as a job array, one task preempted
// mid-training with USR1: the store ends with the same runs and metrics as a local run, and the
// preempted run's final parameters equal the uninterrupted ones.
TEST_F(SlurmTest, JobArrayMatchesALocalRunAndSurvivesPreemption) {
  const auto dry = runexp(
      "table1 --preset smoke --set training.train_stat_interval=1 --seeds 2 --launcher slurm --out "
      "e2e --dry-run");
  EXPECT_CONTAINS(dry.out, "#SBATCH --array=0-3");
  const auto submit = runexp(
      "table1 --preset smoke --set training.train_stat_interval=1 --seeds 2 --launcher slurm --out "
      "e2e");
  ASSERT_EQ(submit.code, 0) << submit.out;
  EXPECT_CONTAINS(submit.out, "submitted job array");
  const std::string folder = wait_for_progress("e2e", "tetrominoes/seed0-");
  ASSERT_FALSE(folder.empty()) << "the first task never trained";
  const std::string task = read_progress(folder)->slurm_task;
  const auto signal = sh("scancel --signal=USR1 --batch " + task);
  ASSERT_EQ(signal.code, 0) << signal.out;
  const auto local =
      runexp("table1 --preset smoke --set training.train_stat_interval=1 --seeds 2 --out local");
  ASSERT_EQ(local.code, 0) << local.out;
  wait_for_queue();
  const auto slurm_runs = finished("e2e");
  EXPECT_EQ(slurm_runs.size(), 4u) << sh("cat " + dir_ + "/e2e/logs/slurm/*").out;
  EXPECT_EQ(slurm_runs, finished("local"));  // exact: same seeds, same code path
  const auto record = read_record(folder);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->attempts, 2) << "USR1 should have requeued the task once";
  const auto log = sh("cat '" + record->log_path + "'").out;
  EXPECT_CONTAINS(log, "interrupted: stopped by a signal");
  EXPECT_CONTAINS(log, "resuming from");
  // Same parameters as the uninterrupted local run.
  const std::string local_folder =
      dir_ + "/local/runs/table1/tetrominoes/" + fs::path(folder).filename().string();
  const auto a = core::load_checkpoint(folder + "/checkpoint.ckpt");
  const auto b = core::load_checkpoint(local_folder + "/checkpoint.ckpt");
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& t : a.tensors) {
    if (t.name.rfind("model.", 0) == 0) {
      EXPECT_TRUE(at::equal(t.tensor, b.tensor(t.name))) << t.name;
    }
  }
  // collect again (by hand, twice): nothing duplicated or lost; the table prints.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(runexp("collect --out e2e").code, 0);
  EXPECT_EQ(finished("e2e").size(), 4u);
  const auto status = runexp("status table1 --out e2e");
  EXPECT_EQ(status.code, 0) << status.out;
  EXPECT_CONTAINS(status.out, "finished");
  const auto report = runexp("report --experiment table1 --out e2e");
  EXPECT_EQ(report.code, 0) << report.out;
  EXPECT_CONTAINS(report.out, "Tetrominoes");
}

// A task killed with SIGKILL is reported failed (with its reason and log), and rerunning the
// experiment submits only the run that is not finished.
TEST_F(SlurmTest, AKilledTaskIsFailedAndOnlyItIsResubmitted) {
  ASSERT_EQ(runexp("table1 --preset smoke --set training.train_stat_interval=1 --seeds 0,1 "
                   "--launcher slurm --out kill")
                .code,
            0);
  const std::string folder = wait_for_progress("kill", "tetrominoes/seed0-");
  ASSERT_FALSE(folder.empty());
  ASSERT_EQ(kill(static_cast<pid_t>(read_progress(folder)->pid), SIGKILL), 0);
  wait_for_queue();
  const auto status = runexp("status table1 --out kill");
  EXPECT_EQ(status.code, 1) << status.out;
  EXPECT_CONTAINS(status.out, "failed");
  EXPECT_CONTAINS(status.out, "killed by signal 9");
  EXPECT_EQ(finished("kill").size(), 3u);
  const auto again = runexp(
      "table1 --preset smoke --set training.train_stat_interval=1 --seeds 0,1 --launcher slurm "
      "--out kill");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_CONTAINS(again.out, "(1 runs;");
  wait_for_queue();
  EXPECT_EQ(finished("kill").size(), 4u);
  EXPECT_EQ(runexp("status table1 --out kill").code, 0);
}

}  // namespace
}  // namespace dti::experiments
