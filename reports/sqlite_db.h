#pragma once
// Thin RAII layer over the SQLite C API, used by the results store and the benchmark importer.
// Every failure becomes a dti::Error that names the database file and SQLite's own message.

#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace dti::reports {

/// One open SQLite connection (move-only); closes itself on destruction.
class Database {
 public:
  /// Opens (creating if needed) `path`; waits up to `busy_timeout_ms` for other writers' locks.
  Database(const std::string& path, int busy_timeout_ms);
  /// Closes the connection.
  ~Database();
  /// Moves the connection out of `other`.
  Database(Database&& other) noexcept;
  /// Moves the connection out of `other`, closing this one first.
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs one or more statements that return no rows.
  void exec(const std::string& sql);
  /// The raw handle, for statements.
  sqlite3* handle() const { return db_; }
  /// The file this connection was opened on.
  const std::string& path() const { return path_; }
  /// Runs a statement returning one text value (e.g. a PRAGMA), retrying while another process
  /// holds a lock, for statements SQLite runs without calling the busy handler; up to
  /// `timeout_ms`.
  std::string query_text_retrying(const std::string& sql, int timeout_ms);
  /// Rowid of the last successful INSERT on this connection.
  int64_t last_insert_id() const;
  /// Throws dti::Error naming `what`, the file and SQLite's message when `rc` is an error code.
  void check(int rc, const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// One prepared statement (move-only); parameters are 1-based, columns 0-based.
class Statement {
 public:
  /// Prepares `sql` on `db`.
  Statement(const Database& db, const std::string& sql);
  /// Finalizes the statement.
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Binds a text parameter.
  Statement& bind(int index, const std::string& value);
  /// Binds a C-string parameter (so literals do not pick the bool overload).
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  /// Binds an integer parameter.
  Statement& bind(int index, int64_t value);
  /// Binds an int parameter.
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  /// Binds a real parameter.
  Statement& bind(int index, double value);
  /// Binds NULL.
  Statement& bind_null(int index);
  /// Binds an optional real (NULL when absent).
  Statement& bind(int index, const std::optional<double>& value);
  /// Binds an optional integer (NULL when absent).
  Statement& bind(int index, const std::optional<int64_t>& value);

  /// Advances to the next row; false when done.
  bool step();
  /// Runs a statement that returns no rows.
  void run();
  /// Rewinds the statement and clears its bindings, for reuse.
  void reset();

  /// True when column `col` of the current row is NULL.
  bool is_null(int col) const;
  /// Column as integer.
  int64_t int64(int col) const;
  /// Column as real.
  double real(int col) const;
  /// Column as text ("" for NULL).
  std::string text(int col) const;
  /// Column as real, absent for NULL.
  std::optional<double> optional_real(int col) const;
  /// Column as integer, absent for NULL.
  std::optional<int64_t> optional_int64(int col) const;
  /// SQLite storage class of column `col` (SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, ...).
  int type(int col) const;

 private:
  const Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

/// A write transaction: BEGIN IMMEDIATE on construction, ROLLBACK unless commit() was called.
class Transaction {
 public:
  /// Begins the transaction, waiting for other writers up to the busy timeout.
  explicit Transaction(Database& db);
  /// Rolls back when commit() was not reached (an exception is propagating).
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// Commits; afterwards the destructor does nothing.
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace dti::reports
