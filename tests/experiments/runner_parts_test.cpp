// The runner's parts that carry a run between processes: a job's command line (built and parsed
// by cell_job.h) and its status as an exit code (run_status.h).

#include <gtest/gtest.h>

#include "base/error.h"
#include "experiments/launch/cell_job.h"
#include "experiments/run/run_status.h"

namespace dti::experiments {
namespace {

TEST(CellJob, ArgumentsReadBackToTheSameJob) {
  CellJob job;
  job.experiment = "table2";
  job.cell = "multi_dsprites2/exhaustive";
  job.seed = 7;
  job.options.preset = "smoke";
  job.options.device = "cuda:1";
  job.options.data_dir = "/data dir";
  job.options.out_dir = "o";
  job.options.db_path = "o/store.sqlite";
  job.options.threads = 3;
  job.options.overrides = {"model.n_sprites=4", "training.optimizer.lr=1e-3"};
  job.options.quiet = true;
  job.options.tensorboard = false;
  const CellJob back = parse_cell_job_args(cell_job_args(job));
  EXPECT_EQ(back.experiment, job.experiment);
  EXPECT_EQ(back.cell, job.cell);
  EXPECT_EQ(back.seed, job.seed);
  EXPECT_EQ(back.options.preset, job.options.preset);
  EXPECT_EQ(back.options.device, job.options.device);
  EXPECT_EQ(back.options.data_dir, job.options.data_dir);
  EXPECT_EQ(back.options.out_dir, job.options.out_dir);
  EXPECT_EQ(back.options.store_path(), job.options.store_path());
  EXPECT_EQ(back.options.threads, job.options.threads);
  EXPECT_EQ(back.options.overrides, job.options.overrides);
  EXPECT_TRUE(back.options.quiet);
  EXPECT_FALSE(back.options.tensorboard);  // --no-tensorboard reaches the child
  EXPECT_TRUE(parse_cell_job_args(cell_job_args(CellJob{"t", "c", 0, {}})).options.tensorboard);
}

TEST(CellJob, TheStoreDefaultIsPassedExplicitly) {
  CellJob job{"table1", "tetrominoes", 0, {}};
  job.options.out_dir = "elsewhere";
  EXPECT_EQ(parse_cell_job_args(cell_job_args(job)).options.db_path,
            "elsewhere/results.sqlite");  // the child writes the parent's store
}

TEST(CellJob, BadArgumentsSayWhatIsExpected) {
  auto message = [](const std::vector<std::string>& args) {
    try {
      parse_cell_job_args(args);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message({"table1", "--cell", "t"}).find("expected EXPERIMENT --cell NAME --seed S"),
            std::string::npos);
  EXPECT_NE(message({"table1", "--cell", "t", "--seed", "x"}).find("--seed expects an integer"),
            std::string::npos);
  EXPECT_NE(message({"table1", "--cel", "t"}).find("did you mean '--cell'"), std::string::npos);
  EXPECT_NE(message({"table1", "--seed"}).find("--seed needs a value"), std::string::npos);
}

TEST(RunStatus, ExitCodesRoundTripForWhatAChildCanReport) {
  for (auto s : {RunStatus::kFinished, RunStatus::kMissingData, RunStatus::kFailed,
                 RunStatus::kInterrupted}) {
    EXPECT_EQ(status_from_exit_code(exit_code(s)), s) << status_name(s);
  }
  // A run that was already finished or is held by another process is no failure.
  EXPECT_EQ(exit_code(RunStatus::kAlreadyFinished), 0);
  EXPECT_EQ(exit_code(RunStatus::kRunningElsewhere), 0);
  EXPECT_EQ(status_from_exit_code(137), RunStatus::kFailed);  // killed
  EXPECT_STREQ(status_name(RunStatus::kMissingData), "missing data");
}

}  // namespace
}  // namespace dti::experiments
