#pragma once
// The results store's schema as an ordered list of forward migrations: migration i turns a store
// of version i-1 (PRAGMA user_version) into version i. A fresh file runs all of them; an older
// file runs the ones it lacks; a newer file is refused.

#include <string>
#include <vector>

namespace dti::reports {

/// Schema version written by this build (the number of migrations).
constexpr int kStoreSchemaVersion = 3;

/// PRAGMA application_id marking a dtisprites results store ("DTIS" in ASCII).
constexpr int kStoreApplicationId = 0x44544953;

/// One forward migration: the SQL that takes the schema from `version - 1` to `version`.
struct Migration {
  /// Version reached after this migration.
  int version;
  /// What changed, for the log and the error messages.
  std::string summary;
  /// Statements, run inside one transaction.
  std::string sql;
};

/// All migrations in order; element i reaches version i + 1.
const std::vector<Migration>& store_migrations();

}  // namespace dti::reports
