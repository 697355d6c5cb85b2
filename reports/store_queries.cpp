// Read side of the results store (the write side is in store.cpp).

#include "base/error.h"
#include "reports/sqlite_db.h"
#include "reports/store.h"

namespace dti::reports {

std::optional<RunRecord> Store::find_finished_run(const RunKey& key) const {
  auto runs = query_runs(
      "WHERE e.name = ?1 AND r.cell = ?2 AND r.seed = ?3 AND r.config_hash = ?4 "
      "AND r.status = 'finished' ORDER BY r.id DESC LIMIT 1",
      [&](Statement& s) {
        s.bind(1, key.experiment).bind(2, key.cell).bind(3, key.seed).bind(4, key.config_hash);
      });
  if (runs.empty()) return std::nullopt;
  return runs.front();
}

std::optional<RunRecord> Store::find_finished_twin(const std::string& config_hash,
                                                   int64_t seed) const {
  auto runs = query_runs(
      "WHERE r.config_hash = ?1 AND r.seed = ?2 AND r.status = 'finished' "
      "ORDER BY r.id DESC LIMIT 1",
      [&](Statement& s) { s.bind(1, config_hash).bind(2, seed); });
  if (runs.empty()) return std::nullopt;
  return runs.front();
}

std::optional<RunRecord> Store::find_unfinished_run(const RunKey& key) const {
  auto runs = query_runs(
      "WHERE e.name = ?1 AND r.cell = ?2 AND r.seed = ?3 AND r.config_hash = ?4 "
      "AND r.status <> 'finished' ORDER BY r.id DESC LIMIT 1",
      [&](Statement& s) {
        s.bind(1, key.experiment).bind(2, key.cell).bind(3, key.seed).bind(4, key.config_hash);
      });
  if (runs.empty()) return std::nullopt;
  return runs.front();
}

RunRecord Store::run(int64_t run_id) const {
  auto runs = query_runs("WHERE r.id = ?1", [&](Statement& s) { s.bind(1, run_id); });
  DTI_CHECK(!runs.empty(), "results store '", path(), "': no run with id ", run_id);
  return runs.front();
}

std::vector<RunRecord> Store::list_runs(const RunFilter& filter) const {
  // Absent filters bind NULL and match everything, so one statement serves every combination.
  return query_runs(
      "WHERE e.name = ?1 AND (?2 IS NULL OR r.cell = ?2) AND (?3 IS NULL OR r.dataset = ?3) "
      "AND (?4 IS NULL OR r.variant = ?4) AND (?5 IS NULL OR r.status = ?5) "
      "ORDER BY r.cell, r.seed, r.id",
      [&](Statement& s) {
        s.bind(1, filter.experiment);
        filter.cell ? s.bind(2, *filter.cell) : s.bind_null(2);
        filter.dataset ? s.bind(3, *filter.dataset) : s.bind_null(3);
        filter.variant ? s.bind(4, *filter.variant) : s.bind_null(4);
        filter.status ? s.bind(5, to_string(*filter.status)) : s.bind_null(5);
      });
}

std::vector<std::string> Store::cells(const std::string& experiment) const {
  Statement select(
      *db_,
      "SELECT DISTINCT r.cell FROM runs r JOIN experiments e ON e.id = r.experiment_id "
      "WHERE e.name = ?1 ORDER BY r.cell");
  select.bind(1, experiment);
  std::vector<std::string> cells;
  while (select.step()) cells.push_back(select.text(0));
  return cells;
}

std::vector<MetricPoint> Store::metrics(int64_t run_id) const {
  Statement select(*db_,
                   "SELECT name, value, iteration FROM metrics WHERE run_id = ?1 "
                   "ORDER BY name, ifnull(iteration, -1)");
  select.bind(1, run_id);
  std::vector<MetricPoint> points;
  while (select.step())
    points.push_back({select.text(0), select.real(1), select.optional_int64(2)});
  return points;
}

std::map<std::string, double> Store::final_metrics(int64_t run_id) const {
  Statement select(*db_, "SELECT name, value FROM metrics WHERE run_id = ?1 AND iteration IS NULL");
  select.bind(1, run_id);
  std::map<std::string, double> values;
  while (select.step()) values[select.text(0)] = select.real(1);
  return values;
}

std::vector<MetricPoint> Store::metric_curve(int64_t run_id, const std::string& name) const {
  Statement select(*db_,
                   "SELECT value, iteration FROM metrics WHERE run_id = ?1 AND name = ?2 "
                   "AND iteration IS NOT NULL ORDER BY iteration");
  select.bind(1, run_id).bind(2, name);
  std::vector<MetricPoint> points;
  while (select.step()) points.push_back({name, select.real(0), select.int64(1)});
  return points;
}

std::vector<Artifact> Store::artifacts(int64_t run_id, const std::string& kind) const {
  Statement select(*db_,
                   "SELECT id, run_id, kind, path, label, iteration FROM artifacts "
                   "WHERE run_id = ?1 AND (?2 = '' OR kind = ?2) ORDER BY id");
  select.bind(1, run_id).bind(2, kind);
  std::vector<Artifact> artifacts;
  while (select.step())
    artifacts.push_back({select.int64(0), select.int64(1), select.text(2), select.text(3),
                         select.text(4), select.optional_int64(5)});
  return artifacts;
}

}  // namespace dti::reports
