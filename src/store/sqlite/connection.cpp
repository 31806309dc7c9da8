#include "store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <cassert>

#include "store/sqlite/error.hpp"
#include "store/store.hpp"

namespace livechat::store::sqlite {
namespace {

constexpr int busy_timeout_ms = 5000;

}  // namespace

connection::connection(const std::string& path) {
  // NOMUTEX: a connection is never shared by two threads at once, so SQLite's own per-connection
  // lock would only cost time.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int result = sqlite3_open_v2(path.c_str(), &database_, flags, nullptr);
  try {
    if (result != SQLITE_OK) {
      // A failed open usually still allocates a handle, which carries the better message.
      const std::string context = "cannot open '" + path + "'";
      if (database_ == nullptr) throw_error(result, context);
      throw_error(database_, context);
    }
    configure();
  } catch (...) {
    close();
    throw;
  }
}

connection::~connection() { close(); }

void connection::close() noexcept {
  // SQLite refuses to close a database that still has prepared statements.
  statements_.clear();
  sqlite3_close(database_);
  database_ = nullptr;
}

void connection::configure() {
  sqlite3_busy_timeout(database_, busy_timeout_ms);

  // The journal mode is kept in the file; asking for it also proves the file is a database.
  std::string journal_mode;
  {
    auto query = prepare("PRAGMA journal_mode = WAL");
    if (query.step()) journal_mode = query.column_text(0);
  }
  if (journal_mode != "wal") {
    throw store_error("sqlite: cannot switch to WAL journal mode (got '" + journal_mode + "')");
  }
  execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

statement connection::prepare(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* handle = nullptr;
    if (sqlite3_prepare_v3(database_, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &handle, nullptr) != SQLITE_OK) {
      throw_error(database_, "prepare '" + std::string(sql) + "'");
    }
    std::unique_ptr<sqlite3_stmt, statement_finalizer> owned{handle};
    found = statements_.emplace(std::string(sql), std::move(owned)).first;
  }
  // Two live uses of one cached statement would step each other's rows.
  assert(!sqlite3_stmt_busy(found->second.get()));
  return statement{found->second.get()};
}

void connection::execute(const std::string& sql) {
  if (sqlite3_exec(database_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw_error(database_, sql);
  }
}

std::int64_t connection::changes() const { return sqlite3_changes64(database_); }

bool connection::in_transaction() const { return sqlite3_get_autocommit(database_) == 0; }

void connection::statement_finalizer::operator()(sqlite3_stmt* handle) const {
  sqlite3_finalize(handle);
}

}  // namespace livechat::store::sqlite
