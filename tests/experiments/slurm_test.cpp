// The Slurm launcher against a real one-node Slurm (munged, slurmctld and slurmd started here by
// tests/slurm/one_node_cluster.sh with their configs in a temporary folder, stopped by pid at
// the end, or by its watchdog when this process dies). Skipped when Slurm or munge is not
// installed or the test is not root. Label `slurm`.
//
// Signals and kills are deterministic: they are sent only once the run's progress file says it
// is mid-training (progress every iteration, train_stat_interval=1), on runs long enough (60
// iterations) that polling every 250 ms cannot miss them, never on a run that may have ended.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "core/checkpoint.h"
#include "experiments/run/run_record.h"
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

// Table 1's smoke preset as the issue runs it (5 seeds; CLEVR6 has no data here: 10 runs).
const std::string kTable = "table1 --preset smoke";
// Two runs (Tetrominoes and Multi-dSprites, seed 0) of 60 iterations, progress every iteration;
// on the CPU, since a requeued run is compared bit for bit with an uninterrupted one.
const std::string kLongSettings =
    " --preset smoke --device cpu --set training.max_iterations=60 --set training.n_epoches=10 "
    "--set "
    "training.train_stat_interval=1";
const std::string kLong = "table1 --seeds 1" + kLongSettings;

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
    // Our pid: the cluster's watchdog stops the daemons if this process dies without TearDown.
    const auto start = sh(script() + " start '" + dir_ + "/cluster' " + std::to_string(getpid()));
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
  static std::string cluster_state() {
    return sh("squeue; sinfo; tail -5 '" + dir_ + "/cluster/slurmctld.log'").out;
  }
  // Waits until Slurm's queue is empty (the array and its collect job ended).
  static void wait_for_queue(int seconds = 600) {
    for (int i = 0; i < seconds * 2; ++i) {
      if (sh("squeue -h | wc -l").out == "0\n") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    FAIL() << "the queue did not empty in " << seconds << " s:\n" << cluster_state();
  }
  // The run folder under <out> whose path holds `prefix` once `ready(its progress)`; "" after
  // five minutes.
  static std::string wait_for_run(const std::string& out, const std::string& prefix,
                                  const std::function<bool(const RunProgress&)>& ready) {
    for (int i = 0; i < 1200; ++i) {
      for (const auto& f : find_run_folders(dir_ + "/" + out)) {
        const auto progress = read_progress(f);
        if (f.find(prefix) != std::string::npos && progress && ready(*progress)) return f;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return "";
  }
  // Every run the store of <out> holds (duplicates included), by "cell seed".
  static std::multimap<std::string, reports::RunRecord> stored(const std::string& out) {
    auto store = reports::Store::open(dir_ + "/" + out + "/results.sqlite");
    std::multimap<std::string, reports::RunRecord> runs;
    for (const auto& r : store.list_runs(reports::RunFilter("table1"))) {
      runs.emplace(r.spec.cell + " " + std::to_string(r.spec.seed), r);
    }
    return runs;
  }
  // The final metrics of the finished runs of <out>, by "cell seed".
  static std::map<std::string, std::map<std::string, double>> finished(const std::string& out) {
    auto store = reports::Store::open(dir_ + "/" + out + "/results.sqlite");
    std::map<std::string, std::map<std::string, double>> runs;
    for (const auto& [key, r] : stored(out)) {
      if (r.status == reports::RunStatus::finished) runs[key] = store.final_metrics(r.id);
    }
    return runs;
  }
  static std::string logs(const std::string& out) {
    return sh("tail -n 5 '" + dir_ + "/" + out + "/logs/slurm/'*").out;
  }

  static inline std::string dir_, skip_reason_;
};

// The end-to-end check: Table 1 (smoke) as one job array; the store ends with the ten
// runs and the very metrics of a local run of the same seeds; `collect` run while tasks still
// run, then twice more by hand, neither duplicates nor loses a run; the table prints.
TEST_F(SlurmTest, TableOneSmokeAsAJobArrayEqualsALocalRun) {
  const auto dry = runexp(kTable + " --launcher slurm --out e2e --dry-run");
  EXPECT_CONTAINS(dry.out, "#SBATCH --array=0-9\n");
  const auto submit = runexp(kTable + " --launcher slurm --out e2e");
  ASSERT_EQ(submit.code, 0) << submit.out;
  EXPECT_CONTAINS(submit.out, "submitted job array");
  EXPECT_CONTAINS(submit.out, "(10 runs;");
  // Collect while tasks run: once a first task has ended, eight or more are still queued.
  for (int i = 0; i < 2400 && sh("ls '" + dir_ + "'/e2e/runs/table1/*/*/record.yml").code != 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const auto early = runexp("collect --out e2e");
  EXPECT_EQ(early.code, 0) << early.out;
  const size_t early_count = stored("e2e").size();
  EXPECT_GE(early_count, 1u) << early.out;
  EXPECT_LT(early_count, 10u) << "collect should have run while tasks still ran\n" << early.out;
  const auto local = runexp(kTable + " --out local");
  ASSERT_EQ(local.code, 0) << local.out;
  wait_for_queue();
  const auto local_runs = finished("local");
  ASSERT_EQ(local_runs.size(), 10u) << local.out;
  EXPECT_EQ(stored("e2e").size(), 10u) << logs("e2e");  // each run once, each finished
  EXPECT_EQ(finished("e2e"), local_runs);               // exact: same seeds, same code path
  for (int i = 0; i < 2; ++i) {
    const auto again = runexp("collect --out e2e");
    EXPECT_CONTAINS(again.out, "collect: 0 runs stored, 10 already in the store");
  }
  EXPECT_EQ(stored("e2e").size(), 10u);
  EXPECT_EQ(finished("e2e"), local_runs);
  const auto status = runexp("status table1 --out e2e");
  EXPECT_EQ(status.code, 0) << status.out;
  EXPECT_CONTAINS(status.out, "finished");
  const auto report = runexp("report --experiment table1 --out e2e");
  EXPECT_EQ(report.code, 0) << report.out;
  EXPECT_CONTAINS(report.out, "Tetrominoes");
  EXPECT_CONTAINS(report.out, "Multi-dSprites");
}

// Preemption and a crash, one task each: Tetrominoes gets USR1 mid-training (as Slurm sends it
// before a time limit or on preemption), checkpoints, is requeued, resumes and ends with the
// parameters of an uninterrupted run; Multi-dSprites is killed with SIGKILL after its first
// checkpoint, is reported failed with its reason, and rerunning the experiment resubmits it alone,
// which resumes from that checkpoint and finishes.
TEST_F(SlurmTest, PreemptedTaskResumesExactlyAndOnlyAKilledOneIsResubmitted) {
  const auto submit = runexp(kLong + " --launcher slurm --out pre");
  ASSERT_EQ(submit.code, 0) << submit.out;
  EXPECT_CONTAINS(submit.out, "(2 runs;");
  const std::string tetrominoes = wait_for_run(
      "pre", "tetrominoes/seed0-", [](const RunProgress& p) { return p.iteration >= 3; });
  ASSERT_FALSE(tetrominoes.empty()) << "Tetrominoes never trained\n" << cluster_state();
  const auto at_signal = read_progress(tetrominoes);
  ASSERT_LT(at_signal->iteration, at_signal->total_iterations);
  const auto signal = sh("scancel --signal=USR1 --batch " + at_signal->slurm_task);
  ASSERT_EQ(signal.code, 0) << signal.out << cluster_state();
  const std::string sprites = wait_for_run("pre", "multi_dsprites/seed0-",
                                           [](const RunProgress& p) { return p.iteration >= 12; });
  ASSERT_FALSE(sprites.empty()) << "Multi-dSprites never passed its checkpoint\n"
                                << cluster_state();
  const auto at_kill = read_progress(sprites);
  ASSERT_LT(at_kill->iteration, at_kill->total_iterations);
  ASSERT_EQ(kill(static_cast<pid_t>(at_kill->pid), SIGKILL), 0);
  // The uninterrupted reference, meanwhile: the same run, as `runexp table1` runs it locally.
  const auto local =
      runexp("run-cell table1 --cell tetrominoes --seed 0" + kLongSettings + " --out local");
  ASSERT_EQ(local.code, 0) << local.out;
  wait_for_queue();

  const auto record = read_record(tetrominoes);
  ASSERT_TRUE(record.has_value()) << logs("pre");
  EXPECT_EQ(record->status, "finished");
  EXPECT_EQ(record->attempts, 2) << "USR1 should have requeued the task once";
  const auto log = sh("cat '" + record->log_path + "'").out;
  // The iteration under way when USR1 came is finished first: the signalled one or a later one.
  EXPECT_CONTAINS(log, "interrupted: stopped by a signal at iteration ");
  EXPECT_CONTAINS(log, "resuming from");
  const auto a = core::load_checkpoint(tetrominoes + "/checkpoint.ckpt");
  const auto b =
      core::load_checkpoint(dir_ + "/local/runs/table1/tetrominoes/" +
                            fs::path(tetrominoes).filename().string() + "/checkpoint.ckpt");
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  int compared = 0;
  for (const auto& t : a.tensors) {
    if (t.name.rfind("model.", 0) != 0) continue;
    EXPECT_TRUE(at::equal(t.tensor, b.tensor(t.name))) << t.name;
    ++compared;
  }
  EXPECT_GT(compared, 0);

  const auto status = runexp("status table1 --out pre");
  EXPECT_EQ(status.code, 1) << status.out;
  EXPECT_CONTAINS(status.out, "killed by signal 9");
  EXPECT_CONTAINS(status.out, ".log");
  EXPECT_EQ(finished("pre").size(), 1u) << status.out;  // the killed run is not counted

  const auto again = runexp(kLong + " --launcher slurm --out pre");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_CONTAINS(again.out, "tetrominoes seed 0: already finished, not submitted");
  EXPECT_CONTAINS(again.out, "(1 runs;");
  wait_for_queue();
  const auto resumed = read_record(sprites);
  ASSERT_TRUE(resumed.has_value());
  EXPECT_EQ(resumed->status, "finished") << logs("pre");
  EXPECT_CONTAINS(sh("cat '" + resumed->log_path + "'").out, "resuming from");
  EXPECT_EQ(stored("pre").size(), 2u);
  EXPECT_EQ(finished("pre").size(), 2u);
  EXPECT_EQ(runexp("status table1 --out pre").code, 0);
}

}  // namespace
}  // namespace dti::experiments
