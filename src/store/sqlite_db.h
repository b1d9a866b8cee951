// Thin RAII wrappers over the SQLite C API: SqliteDb (a connection) and SqliteStatement (a
// prepared statement, reused across calls). SQLite result codes become Errors here and nowhere
// else. Neither class is thread-safe: a connection and its statements are used by one thread
// at a time (connections are opened with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace stepway::store {

// The Error for SQLite result code `rc` on `db`: SQLITE_CONSTRAINT is kAlreadyExists (a
// duplicate key), SQLITE_FULL kResourceExhausted, I/O and locking failures kUnavailable,
// anything else kInternal. The message starts with `what`.
Error SqliteError(sqlite3* db, int rc, std::string_view what);

class SqliteDb {
 public:
  // Opens (creating when missing) the database at `path`; kUnavailable on failure.
  static Result<SqliteDb> Open(const std::string& path);

  SqliteDb(SqliteDb&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // Runs one or more statements that return no rows we need (pragmas, DDL, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  // Runs a statement returning one integer (e.g. "PRAGMA user_version").
  Result<std::int64_t> QueryInt(std::string_view sql);
  // Whether the connection is outside any transaction (SQLite rolls a transaction back on its
  // own after some errors: SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM).
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  sqlite3* get() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

class SqliteStatement {
 public:
  static Result<SqliteStatement> Prepare(const SqliteDb& db, std::string_view sql);

  SqliteStatement() = default;
  SqliteStatement(SqliteStatement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are numbered from 1. Text is bound without a copy: it must outlive the next
  // Step (every use binds all its parameters afresh, then resets).
  void Bind(int index, std::string_view text);
  void Bind(int index, const std::string& text) { Bind(index, std::string_view(text)); }
  void Bind(int index, std::int64_t value);
  void Bind(int index, const std::optional<std::string>& text);
  void Bind(int index, const std::optional<std::int64_t>& value);

  // true: a row is ready to read; false: the statement is done.
  Result<bool> Step();
  // Steps until done, for statements that return no rows.
  Status Run();
  // Makes the statement ready for new bindings. Done by Use() below on scope exit.
  void Reset();

  // Columns are numbered from 0.
  std::int64_t Int(int column) const;
  std::string Text(int column) const;
  // The column's text in place: valid until the next Step or Reset of this statement.
  std::string_view TextView(int column) const;
  std::optional<std::int64_t> OptionalInt(int column) const;
  std::optional<std::string> OptionalText(int column) const;

  // Resets the statement when it goes out of scope, on every path.
  class Use {
   public:
    explicit Use(SqliteStatement& s) : s_(s) {}
    ~Use() { s_.Reset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    SqliteStatement& s_;
  };

 private:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace stepway::store
