#pragma once
// The results store: one SQLite file with every experiment, run, metric value and artifact.
//
// Safe under the ways runs really end. Every write is one transaction; the file is in WAL mode with
// a busy timeout, so several processes on one machine write at once. A run is `running` until
// finish_run() or fail_run(); a process killed mid-way leaves it `running`, and readers see it as
// stale: on its own host as soon as its pid is gone (a live process is never stale there), on
// other hosts when its heartbeat is older than StoreOptions::stale_after_seconds (heartbeats are
// written by a timer, reports/liveness.h). Only `finished` runs are ever aggregated.
//
// One Store object belongs to one thread; other threads and processes open their own.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dti::reports {

class Database;
class Statement;

/// Where a run is in its life.
enum class RunStatus { running, finished, failed };

/// "running", "finished" or "failed".
std::string to_string(RunStatus status);

/// Whether a run can still be making progress.
enum class Liveness {
  ended,  ///< finished or failed
  alive,  ///< running, and its process exists (same host) or its heartbeat is recent
  stale   ///< marked running, but its process is gone or silent: killed mid-way
};

/// "ended", "alive" or "stale".
std::string to_string(Liveness liveness);

/// How the store is opened.
struct StoreOptions {
  /// How long a write waits for another process's lock before failing, in milliseconds.
  int busy_timeout_ms = 30000;
  /// A running run of another host whose heartbeat is older than this (seconds) counts as stale;
  /// on this host only a dead (or younger, pid-reusing) process makes a run stale.
  double stale_after_seconds = 1800.0;
};

/// What identifies and describes a run when it starts.
struct RunSpec {
  /// Experiment name, e.g. "table1" (created on first use).
  std::string experiment;
  /// Table cell the run contributes to, e.g. "tetrominoes" or "multi_dsprites/fixed_occlusion".
  std::string cell;
  /// Dataset name, e.g. "tetrominoes".
  std::string dataset;
  /// Variant within the cell, e.g. "full", "greedy", "K=19" ("" for the default).
  std::string variant;
  /// Random seed.
  int64_t seed = 0;
  /// Fully resolved configuration text (every option, defaults included); hashed for identity.
  std::string config_text;
  /// Code version, e.g. `git describe --dirty`.
  std::string code_version;
  /// LibTorch version, e.g. "1.13.1".
  std::string libtorch_version;
  /// Device, e.g. "cpu (2 threads)" or "cuda:0 NVIDIA H100".
  std::string device;
};

/// Identity of a run for idempotence: the same key means the same computation.
struct RunKey {
  /// Experiment name.
  std::string experiment;
  /// Table cell.
  std::string cell;
  /// Random seed.
  int64_t seed = 0;
  /// config_hash() of the resolved configuration.
  std::string config_hash;
};

/// Results known when a run ends; each field may be unknown.
struct RunOutcome {
  /// Final reconstruction loss (the outlier rule's input).
  std::optional<double> final_loss;
  /// Training iterations done.
  std::optional<int64_t> iterations;
  /// Training throughput, images per second.
  std::optional<double> images_per_second;
  /// Peak memory in bytes (resident or device, as the device field says).
  std::optional<int64_t> peak_memory_bytes;
};

/// What a run trained on, as its dataset file's provenance says (datasets/data_origin.h): the
/// store keeps it so that a table cell computed on generated data says so.
struct DataSource {
  /// "generated", "converted", or "" (not recorded: runs of older builds, imported benchmarks).
  std::string kind;
  /// "generated data, not the paper's; convert the real file with: ..." ("" for the paper's data).
  std::string note;
};

/// One stored run: its spec, where and when it ran, its status and results.
struct RunRecord {
  /// Row id (stable; cited by tables when a run is dropped).
  int64_t id = 0;
  /// Everything given to start_run().
  RunSpec spec;
  /// SHA-256 of spec.config_text.
  std::string config_hash;
  /// Host name of the process that last ran it.
  std::string host;
  /// Process id that last ran it.
  int64_t pid = 0;
  /// How many times it was started (1 + resumptions).
  int64_t attempts = 1;
  /// UTC start time, ISO 8601.
  std::string started_at;
  /// UTC end time, ISO 8601 ("" while running).
  std::string ended_at;
  /// UTC time of the last write by its process, ISO 8601.
  std::string heartbeat_at;
  /// Seconds since heartbeat_at, at the time of the query.
  double heartbeat_age_seconds = 0.0;
  /// running / finished / failed.
  RunStatus status = RunStatus::running;
  /// Whether a `running` run is still alive (computed at query time).
  Liveness liveness = Liveness::ended;
  /// Results recorded by finish_run().
  RunOutcome outcome;
  /// Error message given to fail_run() ("" otherwise).
  std::string error;
  /// The data it trained on (set_data_source()).
  DataSource data;
};

/// One metric value: final (no iteration) or along training (at an iteration).
struct MetricPoint {
  /// Metric name, e.g. "ari_fg", "loss", "sprite_usage/3".
  std::string name;
  /// Value.
  double value = 0.0;
  /// Training iteration; absent for the final value.
  std::optional<int64_t> iteration;
};

/// A file a run produced: an image or a checkpoint.
struct Artifact {
  /// Row id.
  int64_t id = 0;
  /// Run that produced it.
  int64_t run_id = 0;
  /// Kind, e.g. "sprites", "masks", "backgrounds", "input", "reconstruction", "checkpoint".
  std::string kind;
  /// Absolute path of the file.
  std::string path;
  /// Free label, e.g. "sample 3" or "layer 2".
  std::string label;
  /// Training iteration when it was written, if meaningful.
  std::optional<int64_t> iteration;
};

/// Which runs list_runs() returns; empty fields match everything.
struct RunFilter {
  /// Filters on one experiment, optionally one cell.
  explicit RunFilter(std::string experiment_name,
                     std::optional<std::string> cell_name = std::nullopt)
      : experiment(std::move(experiment_name)), cell(std::move(cell_name)) {}
  /// Experiment name (required).
  std::string experiment;
  /// Table cell.
  std::optional<std::string> cell;
  /// Dataset.
  std::optional<std::string> dataset;
  /// Variant.
  std::optional<std::string> variant;
  /// Status.
  std::optional<RunStatus> status;
};

/// A run measured elsewhere (e.g. a benchmark binary), stored whole in one go.
struct ImportedRun {
  /// Identity and description.
  RunSpec spec;
  /// Host it ran on.
  std::string host;
  /// UTC start time, ISO 8601.
  std::string started_at;
  /// UTC end time, ISO 8601.
  std::string ended_at;
  /// finished or failed.
  RunStatus status = RunStatus::finished;
  /// Its results.
  RunOutcome outcome;
  /// Error message when failed.
  std::string error;
  /// Its metric values.
  std::vector<MetricPoint> metrics;
  /// Files it wrote (kind, path, label, iteration; id and run_id are ignored), recorded in the
  /// same transaction as the run, so a kill can never leave the run without them.
  std::vector<Artifact> artifacts;
  /// Where its data came from.
  DataSource data;
};

/// What claim_run() decided.
enum class ClaimResult {
  started,           ///< no run with this key existed: a new one was started
  resumed,           ///< a failed or stale run with this key now belongs to this process
  already_finished,  ///< a finished run with this key exists: nothing to do
  running_elsewhere  ///< a live run with this key belongs to another process
};

/// "started", "resumed", "already_finished" or "running_elsewhere".
std::string to_string(ClaimResult result);

/// claim_run()'s answer.
struct Claim {
  /// What happened.
  ClaimResult result = ClaimResult::started;
  /// The run concerned (the new, resumed, finished or foreign one).
  RunRecord run;
};

/// SHA-256 hex of the configuration text: the `config_hash` of a run.
std::string config_hash(const std::string& config_text);

/// The SQLite results store.
class Store {
 public:
  /// Opens or creates the store at `path`, migrating an older schema; a newer one is an error.
  static Store open(const std::string& path, const StoreOptions& options = {});
  /// Closes the store.
  ~Store();
  /// Moves the store.
  Store(Store&& other) noexcept;
  /// Moves the store.
  Store& operator=(Store&& other) noexcept;

  /// Path of the database file.
  const std::string& path() const;
  /// Schema version of the open file (always kStoreSchemaVersion after open()).
  int schema_version() const;

  /// Creates the experiment if needed and returns its id; a non-empty description is updated.
  int64_t ensure_experiment(const std::string& name, const std::string& description = "");
  /// Names of all experiments, sorted.
  std::vector<std::string> experiments() const;
  /// Description of an experiment ("" when none); throws for an unknown name.
  std::string experiment_description(const std::string& name) const;

  /// Atomically: finds a finished run with the spec's key, or a live one elsewhere, or resumes a
  /// failed/stale one, or starts a new one. The race-free entry point for `runexp`.
  Claim claim_run(const RunSpec& spec);
  /// Inserts a new run with status `running`, owned by this process; returns its id.
  int64_t start_run(const RunSpec& spec);
  /// Takes over a failed or stale run (status back to `running`, attempts + 1); throws when it
  /// is finished or alive in another process.
  void resume_run(int64_t run_id);
  /// Marks the run as still making progress.
  void heartbeat(int64_t run_id);
  /// Records one metric value (replacing the value with the same name and iteration).
  void record_metric(int64_t run_id, const std::string& name, double value,
                     std::optional<int64_t> iteration = std::nullopt);
  /// Records several metric values in one transaction; also a heartbeat.
  void record_metrics(int64_t run_id, const std::vector<MetricPoint>& points);
  /// Records a file the run produced (path made absolute); returns the artifact id.
  int64_t record_artifact(int64_t run_id, const std::string& kind, const std::string& path,
                          const std::string& label = "",
                          std::optional<int64_t> iteration = std::nullopt);
  /// Records what the run trains on, once its dataset file is open (reports/store_data.cpp).
  void set_data_source(int64_t run_id, const DataSource& data);
  /// Marks a running run finished with its results.
  void finish_run(int64_t run_id, const RunOutcome& outcome);
  /// Marks a running run failed with an error message.
  void fail_run(int64_t run_id, const std::string& error);
  /// Stores runs measured elsewhere in one transaction, skipping keys already present
  /// (same experiment, cell, seed and config hash); returns how many were inserted.
  int64_t import_runs(const std::vector<ImportedRun>& runs);

  /// The finished run with this key, if any (the idempotence check).
  std::optional<RunRecord> find_finished_run(const RunKey& key) const;
  /// The latest finished run of this configuration hash and seed under any experiment and cell
  /// (the same training: a cell two experiments share), if any.
  std::optional<RunRecord> find_finished_twin(const std::string& config_hash, int64_t seed) const;
  /// The most recent running or failed run with this key, if any (to resume).
  std::optional<RunRecord> find_unfinished_run(const RunKey& key) const;
  /// One run by id; throws for an unknown id.
  RunRecord run(int64_t run_id) const;
  /// Runs matching the filter, by cell, then seed, then id.
  std::vector<RunRecord> list_runs(const RunFilter& filter) const;
  /// Distinct cells of an experiment, sorted.
  std::vector<std::string> cells(const std::string& experiment) const;
  /// Every metric value of a run, by name then iteration (final values first).
  std::vector<MetricPoint> metrics(int64_t run_id) const;
  /// Final metric values of a run, by name.
  std::map<std::string, double> final_metrics(int64_t run_id) const;
  /// One metric along training, by iteration.
  std::vector<MetricPoint> metric_curve(int64_t run_id, const std::string& name) const;
  /// Artifacts of a run, optionally of one kind, in insertion order.
  std::vector<Artifact> artifacts(int64_t run_id, const std::string& kind = "") const;

 private:
  Store(std::unique_ptr<Database> db, const StoreOptions& options);
  // Runs `SELECT <run columns> ... <tail>` with parameters bound by `bind`.
  std::vector<RunRecord> query_runs(const std::string& tail,
                                    const std::function<void(Statement&)>& bind) const;
  // Reads the current row of a query_runs() statement.
  RunRecord read_run(const Statement& row) const;
  // Liveness of a run from its status, host, pid and heartbeat age.
  Liveness liveness_of(const RunRecord& run) const;
  // Inserts a running run owned by this process; caller holds a transaction.
  int64_t insert_run(const RunSpec& spec);
  // Checks and writes a run's data source; caller holds a transaction. `run_name` (its id or
  // cell) names it in the error.
  void write_data_source(int64_t run_id, const std::string& run_name, const DataSource& data);
  // Records (or updates) one artifact row, idempotently; caller holds a transaction.
  int64_t upsert_artifact(int64_t run_id, const std::string& kind, const std::string& path,
                          const std::string& label, std::optional<int64_t> iteration);
  // Makes a failed or stale run this process's; caller holds a transaction.
  void take_over(const RunRecord& run);
  // Ends a running run owned by this process with the given status and outcome.
  void end_run(int64_t run_id, RunStatus status, const RunOutcome& outcome,
               const std::string& error);

  std::unique_ptr<Database> db_;
  StoreOptions options_;
  std::string host_;
  int64_t pid_ = 0;
};

}  // namespace dti::reports
