#include "reports/store_schema.h"

namespace dti::reports {

// Times are UTC text, 'YYYY-MM-DDTHH:MM:SS.SSSZ', so they sort as text and julianday() reads them.
// Migrations are append-only: once a version is released its SQL never changes, because stores
// written by it exist; a change is a new migration.
const std::vector<Migration>& store_migrations() {
  static const std::vector<Migration> migrations = {
      {1, "experiments, runs, metrics, artifacts", R"sql(
CREATE TABLE experiments (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL
);
CREATE TABLE runs (
  id                INTEGER PRIMARY KEY,
  experiment_id     INTEGER NOT NULL REFERENCES experiments(id),
  cell              TEXT NOT NULL,
  dataset           TEXT NOT NULL,
  variant           TEXT NOT NULL,
  seed              INTEGER NOT NULL,
  config_text       TEXT NOT NULL,
  config_hash       TEXT NOT NULL,
  code_version      TEXT NOT NULL,
  libtorch_version  TEXT NOT NULL,
  device            TEXT NOT NULL,
  host              TEXT NOT NULL,
  started_at        TEXT NOT NULL,
  ended_at          TEXT,
  status            TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
  final_loss        REAL,
  iterations        INTEGER,
  images_per_second REAL,
  peak_memory_bytes INTEGER,
  error             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_cell ON runs (experiment_id, cell, seed, config_hash);
CREATE TABLE metrics (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name      TEXT NOT NULL,
  iteration INTEGER,
  value     REAL NOT NULL
);
CREATE UNIQUE INDEX metrics_by_run ON metrics (run_id, name, ifnull(iteration, -1));
CREATE TABLE artifacts (
  id        INTEGER PRIMARY KEY,
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kind      TEXT NOT NULL,
  path      TEXT NOT NULL,
  label     TEXT NOT NULL DEFAULT '',
  iteration INTEGER
);
CREATE INDEX artifacts_by_run ON artifacts (run_id, kind);
)sql"},
      // Version 2: a run killed by SIGKILL, OOM or a power cut stays 'running' forever; the pid,
      // the heartbeat and the attempt count let readers tell a live run from a dead one, and
      // let a resumed run say how often it was restarted.
      {2, "run liveness (pid, heartbeat_at, attempts)", R"sql(
ALTER TABLE runs ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN heartbeat_at TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
UPDATE runs SET heartbeat_at = coalesce(ended_at, started_at);
CREATE INDEX runs_by_status ON runs (status);
)sql"},
      // Version 3: whether a run trained on generated data or on the paper's (converted) files,
      // so that tables built on generated stand-ins say so. Older runs read as '' (unknown).
      {3, "run data source (data_kind, data_note)", R"sql(
ALTER TABLE runs ADD COLUMN data_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN data_note TEXT NOT NULL DEFAULT '';
)sql"},
  };
  return migrations;
}

}  // namespace dti::reports
