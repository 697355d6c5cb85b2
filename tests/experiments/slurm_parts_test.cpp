// The Slurm launcher's parts that need no Slurm: the batch script, --time parsing, the checks
// made before submitting, and the per-run-folder records with `collect` (run_record.h).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "experiments/launch/cell_job.h"
#include "experiments/launch/slurm/slurm_cli.h"
#include "experiments/launch/slurm/slurm_launcher.h"
#include "experiments/run/run_record.h"
#include "experiments/suite/registry.h"
#include "tests/support/expect_error.h"

namespace dti::experiments {
namespace {
namespace fs = std::filesystem;

// A fresh folder, removed at the end.
struct Temp {
  Temp() {
    std::string pattern = "/tmp/dti_slurm_parts_XXXXXX";
    path = mkdtemp(pattern.data());
  }
  ~Temp() { fs::remove_all(path); }
  std::string path;
};

CellJob job(const std::string& cell, int64_t seed) {
  CellJob j;
  j.experiment = "table1";
  j.cell = cell;
  j.seed = seed;
  j.options.preset = "smoke";
  j.options.out_dir = "/shared/o'ut";
  return j;
}

TEST(SlurmScript, OneArrayTaskPerRunWithRequeueAndTheSignal) {
  RunnerOptions o;
  o.out_dir = "/shared/out";
  o.slurm.partition = "gpu";
  o.slurm.gpus_per_run = 1;
  o.slurm.time = "1-00:00:00";
  o.slurm.sbatch_args = {"--constraint=a100"};
  const std::string s =
      slurm_batch_script("table1", {job("tetrominoes", 0), job("clevr6", 4)}, o, "/bin/runexp");
  for (const char* line :
       {"#SBATCH --array=0-1\n", "#SBATCH --requeue\n", "#SBATCH --signal=B:USR1@300\n",
        "#SBATCH --partition=gpu\n", "#SBATCH --gpus-per-task=1\n", "#SBATCH --time=1-00:00:00\n",
        "#SBATCH --constraint=a100\n", "#SBATCH --output=/shared/out/logs/slurm/table1-%A_%a.log",
        "--folder-record", "EXIT_MISSING_DATA=3 EXIT_INTERRUPTED=4\n",
        "\"$EXIT_INTERRUPTED\") scontrol requeue", "--mark-failed"}) {
    EXPECT_NE(s.find(line), std::string::npos) << line << "\n" << s;
  }
  EXPECT_NE(s.find("  1) args=('table1' '--cell' 'clevr6' '--seed' '4'"), std::string::npos) << s;
  EXPECT_NE(s.find("'/shared/o'\\''ut'"), std::string::npos) << "quotes survive the shell\n" << s;
  EXPECT_EQ(s.find("--mem"), std::string::npos) << "unset options are left to Slurm";
}

TEST(SlurmScript, TimeLimitsInEverySlurmFormat) {
  EXPECT_EQ(slurm_time_seconds("30"), 1800);
  EXPECT_EQ(slurm_time_seconds("5:30"), 330);
  EXPECT_EQ(slurm_time_seconds("2:00:00"), 7200);
  EXPECT_EQ(slurm_time_seconds("1-2"), 86400 + 7200);
  EXPECT_EQ(slurm_time_seconds("1-00:10"), 86400 + 600);
  EXPECT_EQ(slurm_time_seconds("UNLIMITED"), -1);
  EXPECT_ERROR_CONTAINS(slurm_time_seconds("1h"), "--time: expected MM");
}

// Table 1's Tetrominoes run at the paper's settings (batch 32), checkpointing every `interval`.
std::vector<CellJob> paper_tetrominoes(int64_t interval) {
  CellJob j = job("tetrominoes", 0);
  j.options.preset = "paper";
  j.options.overrides = {"training.checkpoint_interval=" + std::to_string(interval)};
  return {j};
}

TEST(SlurmTimeLimit, WarnsWhenATaskGetsLessThanOneCheckpointInterval) {
  const auto& table1 = find_experiment("table1");
  RunnerOptions o;
  o.out_dir = "/nonexistent";  // no store: the CPU benchmark's 184.3 img/s for Tetrominoes
  o.slurm.signal_seconds = 60;
  EXPECT_EQ(time_limit_warning(table1, paper_tetrominoes(5000), o), "") << "no --time, no limit";
  o.slurm.time = "1:00";
  EXPECT_CONTAINS(time_limit_warning(table1, paper_tetrominoes(5000), o),
                  "is not longer than --signal-seconds 60: every task is signalled");
  // 4 min - 60 s = 180 s of training; 5000 iterations of 32 images take about 868 s.
  o.slurm.time = "4";
  const std::string w = time_limit_warning(table1, paper_tetrominoes(5000), o);
  EXPECT_CONTAINS(w, "--time 4 leaves a task 180 s of training before its checkpoint signal");
  EXPECT_CONTAINS(w,
                  "one checkpoint interval of tetrominoes: 5000 iterations of 32 images, "
                  "about 868 s at 184 img/s on cpu");
  EXPECT_CONTAINS(w, "--set training.checkpoint_interval=518");  // half of the 180 s
  // 500 iterations (about 87 s) fit into 180 s; 0 (only at the end) is the whole run.
  EXPECT_EQ(time_limit_warning(table1, paper_tetrominoes(500), o), "");
  EXPECT_CONTAINS(time_limit_warning(table1, paper_tetrominoes(0), o), "iterations of 32 images");
  // GPU tasks: no speed known on cuda, so not judged, until the store holds a finished GPU run.
  o.slurm.gpus_per_run = 1;
  EXPECT_EQ(time_limit_warning(table1, paper_tetrominoes(5000), o), "");
  Temp t;
  o.out_dir = t.path;
  {
    auto store = reports::Store::open(o.store_path());
    store.ensure_experiment("table1");
    reports::ImportedRun run;
    run.spec = {"table1", "tetrominoes", "tetrominoes", "", 9, "seed: 9\n", "v1", "2.11", "cuda:0"};
    run.outcome.images_per_second = 1000;
    ASSERT_EQ(store.import_runs({run}), 1);
  }
  o.slurm.time = "3";  // 120 s of training; 5000 × 32 images at 1000 img/s take 160 s
  EXPECT_CONTAINS(time_limit_warning(table1, paper_tetrominoes(5000), o),
                  "about 160 s at 1000 img/s on cuda");
  EXPECT_EQ(time_limit_warning(table1, paper_tetrominoes(3000), o), "");  // 96 s
}

TEST(SlurmChecks, SbatchMissingFromPathIsSaidBeforeAnything) {
  const std::string saved = std::getenv("PATH");
  setenv("PATH", "/nonexistent", 1);
  RunnerOptions o;
  o.launcher = "slurm";
  std::ostringstream log;
  const std::string message = test::error_message([&] { check_slurm_setup(o, log); });
  setenv("PATH", saved.c_str(), 1);
  EXPECT_CONTAINS(message, "sbatch is not on PATH");
}

TEST(SlurmChecks, LauncherOptionsAreChecked) {
  RunnerOptions o;
  o.launcher = "pbs";
  EXPECT_ERROR_CONTAINS(check_launcher_options(o), "valid: local, slurm");
  o.launcher = "local";
  o.slurm.partition = "gpu";
  EXPECT_ERROR_CONTAINS(check_launcher_options(o), "need --launcher slurm");
  o.launcher = "slurm";
  o.jobs = 2;
  EXPECT_ERROR_CONTAINS(check_launcher_options(o), "every run is its own task");
  o.jobs = 1;
  o.slurm.gpus_per_run = 1;
  EXPECT_ERROR_CONTAINS(check_launcher_options(o), "with --device cpu: the tasks would leave");
  // --device auto is the tasks' choice, not this (login) node's: CUDA when they get GPUs.
  o.device = "auto";
  check_launcher_options(o);
  EXPECT_EQ(o.device, "cuda");
  o.slurm.gpus_per_run = 0;
  EXPECT_ERROR_CONTAINS(check_launcher_options(o), "needs --gpus-per-run N");
  o.device = "auto";
  check_launcher_options(o);
  EXPECT_EQ(o.device, "cpu");
}

TEST(CellJob, SlurmTaskFlagsReadBack) {
  CellJob j = job("tetrominoes", 3);
  j.folder_record = true;
  j.mark_failed = "killed by signal 9; log x.log";
  const CellJob back = parse_cell_job_args(cell_job_args(j));
  EXPECT_TRUE(back.folder_record);
  EXPECT_EQ(back.mark_failed, j.mark_failed);
}

FolderRecord finished_record(int64_t seed) {
  FolderRecord r;
  r.status = "finished";
  r.spec = {"table1", "tetrominoes", "tetrominoes", "", seed, "model: {k: 1}\nseed: 0\n",
            "v1",     "1.13.0",      "cpu"};
  r.host = "node7";
  r.started_at = "2026-01-01T00:00:00Z";
  r.ended_at = "2026-01-01T01:00:00Z";
  r.log_path = "/o/logs/slurm/table1-5_0.log";
  r.outcome.final_loss = 0.1234567890123456789;
  r.outcome.iterations = 18;
  r.metrics = {{"ari_fg", 0.93412345678901234, std::nullopt}, {"train_loss", 0.3, 10}};
  r.artifacts = {{0, 0, "checkpoint", "/o/runs/x/checkpoint.ckpt", "final", 18}};
  return r;
}

TEST(RunRecord, ReadsBackBitIdentical) {
  Temp t;
  const auto r = finished_record(2);
  write_record(t.path + "/run", r);
  const auto back = read_record(t.path + "/run");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->status, "finished");
  EXPECT_EQ(back->spec.config_text, r.spec.config_text);
  EXPECT_EQ(back->spec.seed, 2);
  EXPECT_EQ(back->outcome.final_loss, r.outcome.final_loss);  // exact, not near
  ASSERT_EQ(back->metrics.size(), 2u);
  EXPECT_EQ(back->metrics[0].value, r.metrics[0].value);
  EXPECT_FALSE(back->metrics[0].iteration.has_value());
  EXPECT_EQ(back->metrics[1].iteration, 10);
  ASSERT_EQ(back->artifacts.size(), 1u);
  EXPECT_EQ(back->artifacts[0].iteration, 18);
  EXPECT_EQ(find_run_folders(t.path + "/nothing").size(), 0u);
}

TEST(RunRecord, CollectTwiceStoresEachRunOnce) {
  Temp t;
  const std::string runs = t.path + "/runs/table1/tetrominoes/";
  write_record(runs + "seed0-aaaa", finished_record(0));
  auto failed = finished_record(1);
  failed.status = "failed";
  failed.error = "killed by signal 9";
  write_record(runs + "seed1-bbbb", failed);
  auto requeued = finished_record(2);
  requeued.status = "requeued";
  write_record(runs + "seed2-cccc", requeued);
  std::ofstream(t.path + "/checkpoint.ckpt") << "x";
  for (const auto& seed : {"seed0-aaaa", "seed1-bbbb"}) {
    auto r = *read_record(runs + seed);
    r.artifacts[0].path = t.path + "/checkpoint.ckpt";
    write_record(runs + seed, r);
  }
  auto store = reports::Store::open(t.path + "/results.sqlite");
  std::ostringstream log;
  const auto first = collect_records(store, t.path, log);
  EXPECT_EQ(first.ingested, 2);
  EXPECT_EQ(first.in_progress, 1);
  const auto second = collect_records(store, t.path, log);
  EXPECT_EQ(second.ingested, 0);
  EXPECT_EQ(second.already, 2);
  const auto stored = store.list_runs(reports::RunFilter("table1"));
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].status, reports::RunStatus::finished);
  EXPECT_EQ(stored[0].host, "node7");
  EXPECT_EQ(store.final_metrics(stored[0].id).at("ari_fg"), 0.93412345678901234);
  EXPECT_EQ(store.artifacts(stored[0].id).size(), 1u);
  EXPECT_EQ(stored[1].status, reports::RunStatus::failed);
  EXPECT_CONTAINS(stored[1].error, "killed by signal 9 (log /o/logs/slurm/table1-5_0.log)");

  // The failed run is rerun and finishes: the store's failed run becomes finished, not a second.
  auto rerun = finished_record(1);
  rerun.artifacts.clear();
  write_record(runs + "seed1-bbbb", rerun);
  EXPECT_EQ(collect_records(store, t.path, log).ingested, 1);
  const auto after = store.list_runs(reports::RunFilter("table1"));
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1].status, reports::RunStatus::finished);
  EXPECT_EQ(store.final_metrics(after[1].id).at("ari_fg"), 0.93412345678901234);
}

}  // namespace
}  // namespace dti::experiments
