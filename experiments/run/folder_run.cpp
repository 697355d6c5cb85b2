// The Slurm-task side of run folders (run_record.h): a run against a private store on node-local
// disk, exported into its folder's record.yml; and the failed record of a task that died.
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <ostream>
#include <set>

#include "base/error.h"
#include "experiments/run/run_record.h"
#include "experiments/run/run_record_detail.h"

namespace dti::experiments {
namespace fs = std::filesystem;
using namespace detail;

namespace {

// The run of `spec` in a task's private store, exported with its curves and artifacts.
FolderRecord export_run(const reports::Store& store, const reports::RunRecord& run) {
  FolderRecord r;
  r.spec = run.spec;
  r.host = run.host;
  r.started_at = run.started_at;
  r.ended_at = run.ended_at.empty() ? utc_now() : run.ended_at;
  r.error = run.error;
  r.outcome = run.outcome;
  r.data = run.data;
  r.metrics = store.metrics(run.id);
  r.artifacts = store.artifacts(run.id);
  r.slurm_task = slurm_task();
  r.log_path = env("DTI_TASK_LOG");
  return r;
}

// Curve points of an earlier attempt that this attempt did not write again (the curve before the
// checkpoint it resumed from).
void merge_earlier_points(FolderRecord& record, const FolderRecord& earlier) {
  std::set<std::pair<std::string, int64_t>> have;
  for (const auto& m : record.metrics) have.insert({m.name, m.iteration.value_or(-1)});
  for (const auto& m : earlier.metrics) {
    if (m.iteration && !have.count({m.name, *m.iteration})) record.metrics.push_back(m);
  }
}

void remove_private_store(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
}

// Private stores an earlier attempt of this run left in `tmp` when it was killed.
void remove_stale_private_stores(const std::string& tmp, const std::string& hash10) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tmp, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("dti-task-", 0) == 0 &&
        name.find("-" + hash10 + ".sqlite") != std::string::npos) {
      fs::remove(entry.path(), ec);
    }
  }
}

}  // namespace

CellRun run_cell_to_folder(const ExperimentDefinition& experiment, const CellDefinition& cell,
                           int64_t seed, const RunnerOptions& options, std::ostream& log) {
  const RunConfig config = cell_config(cell, options, seed);
  const std::string hash = reports::config_hash(to_yaml(config));
  const std::string dir =
      run_folder(options.out_dir, experiment.store_experiment, cell.name, seed, hash);
  const auto earlier = read_record(dir);
  if (earlier && earlier->status == "finished") {
    log << dir << ": already finished (record.yml), not trained again" << std::endl;
    return {cell.name, seed, RunStatus::kAlreadyFinished, dir};
  }
  RunnerOptions local = options;
  const std::string tmp = env("TMPDIR").empty() ? "/tmp" : env("TMPDIR");
  local.db_path =
      tmp + "/dti-task-" + std::to_string(getpid()) + "-" + hash.substr(0, 10) + ".sqlite";
  remove_stale_private_stores(tmp, hash.substr(0, 10));
  CellRun result = run_cell(experiment, cell, seed, local, log);
  if (result.status == RunStatus::kFinished || result.status == RunStatus::kFailed ||
      result.status == RunStatus::kInterrupted) {
    auto store = reports::Store::open(local.db_path);
    const auto run =
        store.find_unfinished_run({experiment.store_experiment, cell.name, seed, hash})
            .value_or(store.find_finished_run({experiment.store_experiment, cell.name, seed, hash})
                          .value_or(reports::RunRecord{}));
    DTI_CHECK(run.id != 0, "the private store ", local.db_path, " lost the run of ", cell.name,
              " seed ", seed, "; rerun the task");
    FolderRecord record = export_run(store, run);
    record.status = result.status == RunStatus::kFinished      ? "finished"
                    : result.status == RunStatus::kInterrupted ? "requeued"
                                                               : "failed";
    if (result.status != RunStatus::kFinished) record.error = result.detail;
    if (earlier) {
      merge_earlier_points(record, *earlier);
      record.attempts = earlier->attempts + 1;
      record.started_at = earlier->started_at;
    }
    write_record(dir, record);
    log << dir << "/" << kRecordFile << ": " << record.status << std::endl;
  }
  remove_private_store(local.db_path);
  return result;
}

void mark_folder_failed(const ExperimentDefinition& experiment, const CellDefinition& cell,
                        int64_t seed, const RunnerOptions& options, const std::string& reason) {
  const RunConfig config = cell_config(cell, options, seed);
  const std::string hash = reports::config_hash(to_yaml(config));
  const std::string dir =
      run_folder(options.out_dir, experiment.store_experiment, cell.name, seed, hash);
  std::optional<FolderRecord> earlier;
  try {
    earlier = read_record(dir);
  } catch (const Error&) {
  }
  if (earlier && (earlier->status == "finished" || earlier->status == "failed")) return;
  FolderRecord record = earlier.value_or(FolderRecord{});
  record.spec = make_spec(experiment, cell, seed, config, options);
  record.status = "failed";
  record.host = host_name();
  if (record.started_at.empty()) record.started_at = utc_now();
  record.ended_at = utc_now();
  record.error = reason;
  record.slurm_task = slurm_task();
  record.log_path = env("DTI_TASK_LOG");
  write_record(dir, record);
}

}  // namespace dti::experiments
