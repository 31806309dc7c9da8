#include "store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <cassert>

#include "store/sqlite/error.hpp"
#include "store/store.hpp"

namespace livechat::store::sqlite {
namespace {

constexpr int busy_timeout_ms = 5000;

SQLite::Database open(const std::string& path) {
  // NOMUTEX: a connection is never shared by two threads at once, so SQLite's own per-connection
  // lock would only cost time.
  const int flags = SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX;
  try {
    return SQLite::Database{path, flags, busy_timeout_ms};
  } catch (const SQLite::Exception& failure) {
    throw_error(failure, "cannot open '" + path + "'");
  }
}

}  // namespace

connection::connection(const std::string& path) : database_(open(path)) { configure(); }

void connection::configure() {
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
    std::string text{sql};
    try {
      found = statements_.try_emplace(text, database_, text).first;
    } catch (const SQLite::Exception& failure) {
      throw_error(failure, "prepare '" + text + "'");
    }
  }
  // Two live uses of one cached statement would step each other's rows.
  assert(!found->second.hasRow() && !found->second.isDone());
  return statement{found->second};
}

void connection::execute(const std::string& sql) {
  try {
    database_.exec(sql);
  } catch (const SQLite::Exception& failure) {
    throw_error(failure, sql);
  }
}

std::int64_t connection::changes() const { return database_.getChanges(); }

bool connection::in_transaction() const {
  // SQLiteCpp has no call for this; the C API answers it.
  return sqlite3_get_autocommit(database_.getHandle()) == 0;
}

}  // namespace livechat::store::sqlite
