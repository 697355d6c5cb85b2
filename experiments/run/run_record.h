#pragma once
// Per-run-folder records: how runs on a cluster reach the one results store safely.
//
// Design (docs/slurm.md): the output folder is on a filesystem shared by the
// nodes (NFS, Lustre, ...), where SQLite's WAL mode (shared memory on one host) and POSIX locks
// are unreliable, so no two hosts may write one SQLite file. A Slurm task therefore runs the same
// code path as a local run (claim, train or resume, evaluate, record) against a private store on
// its node's local disk, then writes the run as one YAML file, `record.yml`, atomically (temporary
// name + rename) into its own run folder, which no other task writes. `runexp collect` ingests the
// ended records into the results store; it is idempotent (a run already in the store is skipped,
// keyed by experiment, cell, seed and configuration hash) and runs as one process, so the store
// has one writer host at a time. While training, every run (local ones too) keeps a small
// `progress.yml` beside its checkpoint for `runexp status`.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "experiments/config/runner_options.h"
#include "experiments/run/cell_run.h"
#include "experiments/suite/registry.h"
#include "reports/store.h"

namespace dti::experiments {

/// Where a run stands, as written in its folder.
struct RunProgress {
  int64_t iteration = 0;         ///< Iterations done.
  int64_t total_iterations = 0;  ///< Iterations of the whole run.
  double loss = 0;               ///< Last reported training loss.
  double seconds_left = 0;       ///< Trainer's estimate.
  std::string updated_at{};      ///< UTC, ISO 8601 (filled by write_progress()).
  std::string host{};            ///< Host of the process (filled by write_progress()).
  int64_t pid = 0;               ///< Its pid (filled by write_progress()).
  std::string slurm_task{};      ///< "<array job>_<task>" under Slurm, else "".
  std::string log_path{};        ///< The task's log ($DTI_TASK_LOG), else "".
};

/// A run as its task left it: everything the store needs to hold it.
struct FolderRecord {
  std::string status;  ///< "finished", "failed" or "requeued" (interrupted, resumes when requeued).
  reports::RunSpec spec;                      ///< Identity and provenance.
  std::string host;                           ///< Host that ran the last attempt.
  std::string started_at;                     ///< UTC, ISO 8601.
  std::string ended_at;                       ///< UTC, ISO 8601.
  int64_t attempts = 1;                       ///< Attempts (requeues included).
  std::string error;                          ///< Exit reason of a failed run.
  std::string slurm_task;                     ///< "<array job>_<task>" or "".
  std::string log_path;                       ///< The task's log.
  reports::RunOutcome outcome;                ///< Final loss, iterations, throughput, memory.
  reports::DataSource data;                   ///< Generated or converted data (and its note).
  std::vector<reports::MetricPoint> metrics;  ///< Final values and curves.
  std::vector<reports::Artifact> artifacts;   ///< Images and checkpoint (kind, path, label, iter).
};

/// File names inside a run folder.
inline constexpr const char* kRecordFile = "record.yml";
inline constexpr const char* kProgressFile = "progress.yml";

/// Writes <run_dir>/progress.yml atomically (host, pid, Slurm task and time filled in here).
void write_progress(const std::string& run_dir, RunProgress progress);
/// Reads <run_dir>/progress.yml, if any.
std::optional<RunProgress> read_progress(const std::string& run_dir);

/// Writes <run_dir>/record.yml atomically.
void write_record(const std::string& run_dir, const FolderRecord& record);
/// Reads <run_dir>/record.yml, if any; throws dti::Error naming the file when it is malformed.
std::optional<FolderRecord> read_record(const std::string& run_dir);

/// Every run folder under <out_dir>/runs holding a record or a progress file.
std::vector<std::string> find_run_folders(const std::string& out_dir);

/// What collect_records() did.
struct CollectSummary {
  int ingested = 0;     ///< Records newly stored (finished or failed).
  int already = 0;      ///< Records the store already held.
  int in_progress = 0;  ///< Folders without an ended record (running, requeued).
};

/// Ingests every ended record under <out_dir>/runs into `store`; safe to run again and while
/// tasks still run (idempotent by run key; see the design note above).
CollectSummary collect_records(reports::Store& store, const std::string& out_dir,
                               std::ostream& log);

/// The Slurm-task side: runs `cell` like run_cell() against a private store on node-local disk
/// ($TMPDIR), then writes the run folder's record (finished, failed, or requeued when a signal
/// interrupted it) and deletes the private store. Never writes options.store_path().
CellRun run_cell_to_folder(const ExperimentDefinition& experiment, const CellDefinition& cell,
                           int64_t seed, const RunnerOptions& options, std::ostream& log);

/// Writes a failed record for a task that died without writing one (killed, out of memory),
/// unless its folder already holds an ended record; `reason` says why (exit code, log path).
void mark_folder_failed(const ExperimentDefinition& experiment, const CellDefinition& cell,
                        int64_t seed, const RunnerOptions& options, const std::string& reason);

}  // namespace dti::experiments
