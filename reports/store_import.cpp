// Runs measured elsewhere (Slurm tasks' run records, benchmark imports) and artifact rows. A run
// and everything recorded with it go into the store in one transaction: a `collect` killed
// half-way leaves either nothing of a run or all of it.
#include <filesystem>

#include "base/error.h"
#include "reports/sqlite_db.h"
#include "reports/store.h"

namespace dti::reports {

int64_t Store::upsert_artifact(int64_t run_id, const std::string& kind, const std::string& path,
                               const std::string& label, std::optional<int64_t> iteration) {
  namespace fs = std::filesystem;
  DTI_CHECK(!kind.empty(), "record_artifact: empty kind for run ", run_id);
  DTI_CHECK(fs::is_regular_file(path), "record_artifact: file '", path,
            "' does not exist; write the file before recording it");
  const std::string absolute = fs::absolute(path).lexically_normal().string();
  // Idempotent: a run killed after recording its artifacts but before finish_run() records them
  // again when resumed; the same (kind, path, label) keeps its one row.
  Statement existing(*db_,
                     "SELECT id FROM artifacts WHERE run_id = ?1 AND kind = ?2 AND path = ?3 "
                     "AND label = ?4 ORDER BY id LIMIT 1");
  if (existing.bind(1, run_id).bind(2, kind).bind(3, absolute).bind(4, label).step()) {
    const int64_t id = existing.int64(0);
    Statement update(*db_, "UPDATE artifacts SET iteration = ?2 WHERE id = ?1");
    update.bind(1, id).bind(2, iteration).run();
    return id;
  }
  Statement insert(*db_,
                   "INSERT INTO artifacts (run_id, kind, path, label, iteration) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind(1, run_id).bind(2, kind).bind(3, absolute).bind(4, label).bind(5, iteration);
  insert.run();
  return db_->last_insert_id();
}

int64_t Store::record_artifact(int64_t run_id, const std::string& kind, const std::string& path,
                               const std::string& label, std::optional<int64_t> iteration) {
  Transaction transaction(*db_);
  run(run_id);  // unknown ids are an error rather than a foreign-key failure
  const int64_t id = upsert_artifact(run_id, kind, path, label, iteration);
  transaction.commit();
  return id;
}

int64_t Store::import_runs(const std::vector<ImportedRun>& runs) {
  Transaction transaction(*db_);
  int64_t inserted = 0;
  for (const ImportedRun& imported : runs) {
    DTI_CHECK(imported.status != RunStatus::running, "import_runs: run '", imported.spec.cell,
              "' has status running; only ended runs can be imported");
    const RunKey key{imported.spec.experiment, imported.spec.cell, imported.spec.seed,
                     config_hash(imported.spec.config_text)};
    if (find_finished_run(key) || find_unfinished_run(key)) continue;
    const int64_t id = insert_run(imported.spec);
    Statement update(*db_,
                     "UPDATE runs SET host = ?2, pid = 0, started_at = ?3, ended_at = ?4, "
                     "heartbeat_at = ?4, status = ?5, final_loss = ?6, iterations = ?7, "
                     "images_per_second = ?8, peak_memory_bytes = ?9, error = ?10 "
                     "WHERE id = ?1");
    update.bind(1, id).bind(2, imported.host).bind(3, imported.started_at);
    update.bind(4, imported.ended_at).bind(5, to_string(imported.status));
    update.bind(6, imported.outcome.final_loss).bind(7, imported.outcome.iterations);
    update.bind(8, imported.outcome.images_per_second);
    update.bind(9, imported.outcome.peak_memory_bytes).bind(10, imported.error).run();
    write_data_source(id, "'" + imported.spec.cell + "'", imported.data);
    Statement metric(*db_,
                     "INSERT OR REPLACE INTO metrics (run_id, name, iteration, value) "
                     "VALUES (?1, ?2, ?3, ?4)");
    for (const MetricPoint& point : imported.metrics) {
      metric.bind(1, id).bind(2, point.name).bind(3, point.iteration).bind(4, point.value).run();
      metric.reset();
    }
    for (const Artifact& a : imported.artifacts) {
      upsert_artifact(id, a.kind, a.path, a.label, a.iteration);
    }
    ++inserted;
  }
  transaction.commit();
  return inserted;
}

}  // namespace dti::reports
