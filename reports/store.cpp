#include "reports/store.h"

#include <unistd.h>

#include <climits>
#include <filesystem>

#include "base/error.h"
#include "base/sha256.h"
#include "reports/liveness.h"
#include "reports/sqlite_db.h"
#include "reports/store_schema.h"

namespace dti::reports {
namespace {

// Millisecond UTC timestamps that sort as text; julianday() parses them back for ages.
constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

constexpr const char* kRunColumns =
    "SELECT r.id, e.name, r.cell, r.dataset, r.variant, r.seed, r.config_text, r.config_hash, "
    "r.code_version, r.libtorch_version, r.device, r.host, r.pid, r.attempts, r.started_at, "
    "ifnull(r.ended_at, ''), r.heartbeat_at, "
    "(julianday('now') - julianday(r.heartbeat_at)) * 86400.0, r.status, r.final_loss, "
    "r.iterations, r.images_per_second, r.peak_memory_bytes, r.error, r.data_kind, r.data_note "
    "FROM runs r JOIN experiments e ON e.id = r.experiment_id ";

std::string this_host() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

RunStatus parse_status(const std::string& text) {
  if (text == "running") return RunStatus::running;
  if (text == "finished") return RunStatus::finished;
  if (text == "failed") return RunStatus::failed;
  throw Error("results store: unknown run status '" + text +
              "' (expected running, finished or failed)");
}

int pragma_int(Database& db, const std::string& pragma) {
  Statement statement(db, "PRAGMA " + pragma);
  return statement.step() ? static_cast<int>(statement.int64(0)) : 0;
}

// The first column of the first row of `query` (0 when it returns none).
int query_int(Database& db, const std::string& query) {
  Statement statement(db, query);
  return statement.step() ? static_cast<int>(statement.int64(0)) : 0;
}

// Applies the missing migrations in one write transaction. The version is read again inside the
// transaction, so two processes opening a new file at once migrate it exactly once.
void migrate(Database& db) {
  Transaction transaction(db);
  const int version = pragma_int(db, "user_version");
  if (version == kStoreSchemaVersion) return;
  DTI_CHECK(version < kStoreSchemaVersion, "results store '", db.path(), "' has schema version ",
            version, ", newer than the ", kStoreSchemaVersion,
            " this build supports: rebuild dtisprites from a newer checkout to read it");
  if (version == 0) {
    Statement tables(db, "SELECT count(*) FROM sqlite_master");
    tables.step();
    DTI_CHECK(tables.int64(0) == 0, "'", db.path(),
              "' is a SQLite database but not a dtisprites results store (no schema version, ",
              tables.int64(0), " foreign objects): pass a new or existing results-store path");
  }
  for (const Migration& migration : store_migrations()) {
    if (migration.version <= version) continue;
    db.exec(migration.sql);
    db.exec("PRAGMA user_version = " + std::to_string(migration.version));
  }
  db.exec("PRAGMA application_id = " + std::to_string(kStoreApplicationId));
  transaction.commit();
}

}  // namespace

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::running:
      return "running";
    case RunStatus::finished:
      return "finished";
    case RunStatus::failed:
      return "failed";
  }
  return "?";
}

std::string to_string(Liveness liveness) {
  switch (liveness) {
    case Liveness::ended:
      return "ended";
    case Liveness::alive:
      return "alive";
    case Liveness::stale:
      return "stale";
  }
  return "?";
}

std::string to_string(ClaimResult result) {
  switch (result) {
    case ClaimResult::started:
      return "started";
    case ClaimResult::resumed:
      return "resumed";
    case ClaimResult::already_finished:
      return "already_finished";
    case ClaimResult::running_elsewhere:
      return "running_elsewhere";
  }
  return "?";
}

std::string config_hash(const std::string& config_text) { return dti::sha256_hex(config_text); }

Store Store::open(const std::string& path, const StoreOptions& options) {
  DTI_CHECK(!path.empty(), "results store: empty path; pass a file such as results/dti.sqlite");
  DTI_CHECK(options.busy_timeout_ms >= 0, "StoreOptions::busy_timeout_ms must be >= 0, got ",
            options.busy_timeout_ms);
  DTI_CHECK(options.stale_after_seconds > 0, "StoreOptions::stale_after_seconds must be > 0, got ",
            options.stale_after_seconds);
  auto db = std::make_unique<Database>(path, options.busy_timeout_ms);
  const int version = pragma_int(*db, "user_version");
  const int application = pragma_int(*db, "application_id");
  DTI_CHECK(version <= kStoreSchemaVersion, "results store '", path, "' has schema version ",
            version, ", newer than the ", kStoreSchemaVersion,
            " this build supports: rebuild dtisprites from a newer checkout to read it");
  DTI_CHECK(application == 0 || application == kStoreApplicationId, "'", path,
            "' is a SQLite database of another application (application_id ", application,
            "), not a dtisprites results store");
  // Refuse someone else's database before changing anything in it (the journal-mode switch
  // below rewrites the file header); migrate() checks again inside its transaction for races.
  if (version == 0) {
    // One statement, so one snapshot: another process may be creating this store right now,
    // and its schema and version arrive together.
    const int objects =
        query_int(*db,
                  "SELECT CASE WHEN (SELECT user_version FROM pragma_user_version) = 0 "
                  "THEN (SELECT count(*) FROM sqlite_master) ELSE 0 END");
    DTI_CHECK(objects == 0, "'", path,
              "' is a SQLite database but not a dtisprites results store (no schema version, ",
              objects,
              " foreign objects); it was left unchanged: pass a new or existing "
              "results-store path");
    // A damaged file can look empty (its schema unreadable); check it whole before the switch
    // to WAL rewrites its header (found by tests/fuzz/store_fuzzer.cpp).
    std::string check;
    try {
      Statement quick_check(*db, "PRAGMA quick_check(1)");
      check = quick_check.step() ? quick_check.text(0) : "no result";
    } catch (const Error& e) {
      check = e.what();
    }
    DTI_CHECK(check == "ok", "'", path, "' is a damaged SQLite file (quick_check: ", check,
              "); it was left unchanged: pass a new or existing results-store path");
  }
  // FULL syncs each commit so a power cut cannot take back a finished run.
  db->exec("PRAGMA synchronous = FULL");
  db->exec("PRAGMA foreign_keys = ON");
  // Migrate before the switch to WAL: a migration that fails (a damaged schema or version) rolls
  // back and leaves the file as it was, header included (found by tests/fuzz/store_fuzzer.cpp).
  if (version < kStoreSchemaVersion) migrate(*db);
  // WAL lets readers work while one process writes and survives a killed writer.
  const std::string mode =
      db->query_text_retrying("PRAGMA journal_mode = WAL", options.busy_timeout_ms);
  DTI_CHECK(mode == "wal", "results store '", path, "': cannot switch to WAL mode (got '", mode,
            "'); put the store on a local file system");
  return Store(std::move(db), options);
}

Store::Store(std::unique_ptr<Database> db, const StoreOptions& options)
    : db_(std::move(db)), options_(options), host_(this_host()), pid_(getpid()) {}

Store::~Store() = default;
Store::Store(Store&& other) noexcept = default;
Store& Store::operator=(Store&& other) noexcept = default;

const std::string& Store::path() const { return db_->path(); }

int Store::schema_version() const { return pragma_int(*db_, "user_version"); }

int64_t Store::ensure_experiment(const std::string& name, const std::string& description) {
  DTI_CHECK(!name.empty(), "results store: experiment name is empty");
  Transaction transaction(*db_);
  Statement insert(*db_, std::string("INSERT INTO experiments (name, description, created_at) "
                                     "VALUES (?1, ?2, ") +
                             kNow + ") ON CONFLICT (name) DO " +
                             "UPDATE SET description = ?2 WHERE ?2 <> ''");
  insert.bind(1, name).bind(2, description).run();
  Statement select(*db_, "SELECT id FROM experiments WHERE name = ?1");
  select.bind(1, name).step();
  const int64_t id = select.int64(0);
  transaction.commit();
  return id;
}

std::vector<std::string> Store::experiments() const {
  Statement select(*db_, "SELECT name FROM experiments ORDER BY name");
  std::vector<std::string> names;
  while (select.step()) names.push_back(select.text(0));
  return names;
}

std::string Store::experiment_description(const std::string& name) const {
  Statement select(*db_, "SELECT description FROM experiments WHERE name = ?1");
  DTI_CHECK(select.bind(1, name).step(), "results store '", path(), "': no experiment '", name,
            "'");
  return select.text(0);
}

int64_t Store::insert_run(const RunSpec& spec) {
  DTI_CHECK(!spec.experiment.empty() && !spec.cell.empty(),
            "results store: a run needs an experiment and a cell, got experiment '",
            spec.experiment, "' cell '", spec.cell, "'");
  Statement experiment(
      *db_, std::string("INSERT INTO experiments (name, created_at) VALUES (?1, ") + kNow +
                ") ON CONFLICT (name) DO NOTHING");
  experiment.bind(1, spec.experiment).run();
  Statement insert(
      *db_,
      std::string("INSERT INTO runs (experiment_id, cell, dataset, variant, seed, config_text, "
                  "config_hash, code_version, libtorch_version, device, host, pid, "
                  "started_at, heartbeat_at, status) VALUES ((SELECT id FROM experiments "
                  "WHERE name = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ") +
          kNow + ", " + kNow + ", 'running')");
  insert.bind(1, spec.experiment).bind(2, spec.cell).bind(3, spec.dataset).bind(4, spec.variant);
  insert.bind(5, spec.seed).bind(6, spec.config_text).bind(7, config_hash(spec.config_text));
  insert.bind(8, spec.code_version).bind(9, spec.libtorch_version).bind(10, spec.device);
  insert.bind(11, host_).bind(12, pid_).run();
  return db_->last_insert_id();
}

int64_t Store::start_run(const RunSpec& spec) {
  Transaction transaction(*db_);
  const int64_t id = insert_run(spec);
  transaction.commit();
  return id;
}

void Store::take_over(const RunRecord& run) {
  Statement update(*db_, std::string("UPDATE runs SET status = 'running', host = ?2, pid = ?3, "
                                     "attempts = attempts + 1, ended_at = NULL, error = '', "
                                     "heartbeat_at = ") +
                             kNow + " WHERE id = ?1");
  update.bind(1, run.id).bind(2, host_).bind(3, pid_).run();
}

Claim Store::claim_run(const RunSpec& spec) {
  const RunKey key{spec.experiment, spec.cell, spec.seed, config_hash(spec.config_text)};
  Transaction transaction(*db_);
  Claim claim;
  if (auto finished = find_finished_run(key)) {
    claim = {ClaimResult::already_finished, *finished};
  } else if (auto unfinished = find_unfinished_run(key)) {
    const bool ours = unfinished->host == host_ && unfinished->pid == pid_;
    if (unfinished->liveness == Liveness::alive && !ours) {
      claim = {ClaimResult::running_elsewhere, *unfinished};
    } else {
      take_over(*unfinished);
      claim = {ClaimResult::resumed, run(unfinished->id)};
    }
  } else {
    claim = {ClaimResult::started, run(insert_run(spec))};
  }
  transaction.commit();
  return claim;
}

void Store::resume_run(int64_t run_id) {
  Transaction transaction(*db_);
  const RunRecord current = run(run_id);
  DTI_CHECK(current.status != RunStatus::finished, "resume_run: run ", run_id,
            " is finished; nothing to resume");
  DTI_CHECK(current.liveness != Liveness::alive || (current.host == host_ && current.pid == pid_),
            "resume_run: run ", run_id, " is alive in process ", current.pid, " on ", current.host,
            " (heartbeat ", current.heartbeat_age_seconds, " s ago); wait for it or stop it first");
  take_over(current);
  transaction.commit();
}

void Store::heartbeat(int64_t run_id) {
  Transaction transaction(*db_);
  Statement update(*db_, std::string("UPDATE runs SET heartbeat_at = ") + kNow +
                             " WHERE id = ?1 AND status = 'running' AND host = ?2 AND pid = ?3");
  update.bind(1, run_id).bind(2, host_).bind(3, pid_).run();
  transaction.commit();
}

void Store::record_metric(int64_t run_id, const std::string& name, double value,
                          std::optional<int64_t> iteration) {
  record_metrics(run_id, {MetricPoint{name, value, iteration}});
}

void Store::record_metrics(int64_t run_id, const std::vector<MetricPoint>& points) {
  Transaction transaction(*db_);
  run(run_id);  // unknown ids are an error rather than a foreign-key failure
  Statement insert(*db_,
                   "INSERT OR REPLACE INTO metrics (run_id, name, iteration, value) "
                   "VALUES (?1, ?2, ?3, ?4)");
  for (const MetricPoint& point : points) {
    DTI_CHECK(!point.name.empty(), "record_metrics: empty metric name for run ", run_id);
    insert.bind(1, run_id).bind(2, point.name).bind(3, point.iteration).bind(4, point.value);
    insert.run();
    insert.reset();
  }
  Statement beat(*db_, std::string("UPDATE runs SET heartbeat_at = ") + kNow +
                           " WHERE id = ?1 AND status = 'running' AND host = ?2 AND pid = ?3");
  beat.bind(1, run_id).bind(2, host_).bind(3, pid_).run();
  transaction.commit();
}

void Store::end_run(int64_t run_id, RunStatus status, const RunOutcome& outcome,
                    const std::string& error) {
  Transaction transaction(*db_);
  const RunRecord current = run(run_id);
  DTI_CHECK(current.status == RunStatus::running, "results store: cannot mark run ", run_id, " ",
            to_string(status), ": it is already ", to_string(current.status));
  // A run taken over by another process (this one looked stale) must not be ended twice.
  DTI_CHECK(current.host == host_ && current.pid == pid_, "results store: run ", run_id,
            " now belongs to process ", current.pid, " on ", current.host,
            " (it was resumed while this process looked stale); its result is theirs to record");
  Statement update(
      *db_, std::string("UPDATE runs SET status = ?2, final_loss = ?3, iterations = ?4, "
                        "images_per_second = ?5, peak_memory_bytes = ?6, error = ?7, ended_at = ") +
                kNow + ", heartbeat_at = " + kNow + " WHERE id = ?1");
  update.bind(1, run_id).bind(2, to_string(status)).bind(3, outcome.final_loss);
  update.bind(4, outcome.iterations).bind(5, outcome.images_per_second);
  update.bind(6, outcome.peak_memory_bytes).bind(7, error).run();
  transaction.commit();
}

void Store::finish_run(int64_t run_id, const RunOutcome& outcome) {
  end_run(run_id, RunStatus::finished, outcome, "");
}

void Store::fail_run(int64_t run_id, const std::string& error) {
  end_run(run_id, RunStatus::failed, {}, error.empty() ? "failed (no message)" : error);
}

Liveness Store::liveness_of(const RunRecord& run) const {
  if (run.status != RunStatus::running) return Liveness::ended;
  // On this host the process table is authoritative both ways: a killed writer is stale at once,
  // and a live one is never stale however long ago its last heartbeat was (a slow CPU run may
  // write none for an hour). Only runs of other hosts are judged by their heartbeat's age.
  if (run.host == host_ && run.pid > 0) {
    return process_owns_heartbeat(run.pid, run.heartbeat_age_seconds) ? Liveness::alive
                                                                      : Liveness::stale;
  }
  if (run.heartbeat_age_seconds > options_.stale_after_seconds) return Liveness::stale;
  return Liveness::alive;
}

RunRecord Store::read_run(const Statement& row) const {
  RunRecord run;
  run.id = row.int64(0);
  run.spec.experiment = row.text(1);
  run.spec.cell = row.text(2);
  run.spec.dataset = row.text(3);
  run.spec.variant = row.text(4);
  run.spec.seed = row.int64(5);
  run.spec.config_text = row.text(6);
  run.config_hash = row.text(7);
  run.spec.code_version = row.text(8);
  run.spec.libtorch_version = row.text(9);
  run.spec.device = row.text(10);
  run.host = row.text(11);
  run.pid = row.int64(12);
  run.attempts = row.int64(13);
  run.started_at = row.text(14);
  run.ended_at = row.text(15);
  run.heartbeat_at = row.text(16);
  run.heartbeat_age_seconds = row.real(17);
  run.status = parse_status(row.text(18));
  run.outcome.final_loss = row.optional_real(19);
  run.outcome.iterations = row.optional_int64(20);
  run.outcome.images_per_second = row.optional_real(21);
  run.outcome.peak_memory_bytes = row.optional_int64(22);
  run.error = row.text(23);
  run.data = {row.text(24), row.text(25)};
  run.liveness = liveness_of(run);
  return run;
}

std::vector<RunRecord> Store::query_runs(const std::string& tail,
                                         const std::function<void(Statement&)>& bind) const {
  Statement select(*db_, kRunColumns + tail);
  bind(select);
  std::vector<RunRecord> runs;
  while (select.step()) runs.push_back(read_run(select));
  return runs;
}

}  // namespace dti::reports
