#include "store/sqlite_db.h"

#include <mutex>
#include <utility>

#include "base/check.h"

namespace stepway::store {

namespace {
// How long a connection waits for a lock held by another connection (another process on the
// same file, or a reader during WAL recovery) before failing with SQLITE_BUSY.
constexpr int kBusyTimeoutMillis = 5000;
}  // namespace

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      code = ErrorCode::kAlreadyExists;
      break;
    case SQLITE_FULL:
      code = ErrorCode::kResourceExhausted;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      code = ErrorCode::kUnavailable;
      break;
    default:
      break;
  }
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{code, std::move(message)};
}

Result<SqliteDb> SqliteDb::Open(const std::string& path) {
  // SQLite counts its memory for sqlite3_status() under a global mutex on every malloc and
  // free, from every connection's thread; nothing here reads those counts. The setting must
  // come before SQLite initialises itself (on the first open); later it is refused, harmlessly.
  static std::once_flag no_memory_statistics;
  std::call_once(no_memory_statistics, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    Error error = SqliteError(db, rc, "open " + path);
    error.code = ErrorCode::kUnavailable;
    sqlite3_close_v2(db);
    return tl::unexpected(std::move(error));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMillis);
  return SqliteDb(db);
}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  std::swap(db_, other.db_);
  return *this;
}

SqliteDb::~SqliteDb() {
  // close_v2 defers the close until every statement is finalized, so member order does not
  // matter; all statements are finalized by their owners' destructors.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(SqliteError(db_, rc, text));
  return {};
}

Result<std::int64_t> SqliteDb::QueryInt(std::string_view sql) {
  auto stmt = SqliteStatement::Prepare(*this, sql);
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->Step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kInternal, std::string(sql) + ": no row");
  return stmt->Int(0);
}

Result<SqliteStatement> SqliteStatement::Prepare(const SqliteDb& db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return tl::unexpected(SqliteError(db.get(), rc, "prepare " + std::string(sql)));
  }
  return SqliteStatement(db.get(), stmt);
}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  std::swap(db_, other.db_);
  std::swap(stmt_, other.stmt_);
  return *this;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

void SqliteStatement::Bind(int index, std::string_view text) {
  // SQLITE_STATIC: no copy; see the header. A non-null pointer keeps "" distinct from NULL.
  static constexpr char kEmpty[] = "";
  const int rc = sqlite3_bind_text64(stmt_, index, text.empty() ? kEmpty : text.data(),
                                     text.size(), SQLITE_STATIC, SQLITE_UTF8);
  CHECK(rc == SQLITE_OK);
}

void SqliteStatement::Bind(int index, std::int64_t value) {
  CHECK(sqlite3_bind_int64(stmt_, index, value) == SQLITE_OK);
}

void SqliteStatement::Bind(int index, const std::optional<std::string>& text) {
  if (!text) {
    CHECK(sqlite3_bind_null(stmt_, index) == SQLITE_OK);
    return;
  }
  Bind(index, std::string_view(*text));
}

void SqliteStatement::Bind(int index, const std::optional<std::int64_t>& value) {
  if (!value) {
    CHECK(sqlite3_bind_null(stmt_, index) == SQLITE_OK);
    return;
  }
  Bind(index, *value);
}

Result<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(SqliteError(db_, rc, sqlite3_sql(stmt_)));
}

Status SqliteStatement::Run() {
  while (true) {
    auto row = Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t SqliteStatement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string SqliteStatement::Text(int column) const { return std::string(TextView(column)); }

std::string_view SqliteStatement::TextView(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::int64_t> SqliteStatement::OptionalInt(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return Int(column);
}

std::optional<std::string> SqliteStatement::OptionalText(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return Text(column);
}

}  // namespace stepway::store
