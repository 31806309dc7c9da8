#pragma once
// An open SQLite database file (a SQLiteCpp database), configured as every livechat connection
// must be, with a cache of its prepared statements. Used by one thread at a time (the pool sees
// to that).

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/sql_hash.hpp"
#include "store/sqlite/statement.hpp"

namespace livechat::store::sqlite {

class connection {
 public:
  /// Opens (creating when missing) the database file at `path` and configures it: WAL journal,
  /// synchronous=FULL (a commit survives power loss), foreign keys enforced, and a 5 s busy
  /// timeout for locks held by other processes. Throws store_error on failure.
  explicit connection(const std::string& path);

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// The statement for `sql`, prepared on first use and reused after that. Statements are
  /// cached by their text, so finish with one before preparing the same text again.
  statement prepare(std::string_view sql);

  /// Runs `sql`, which may hold several statements, without caching it (schema, pragmas).
  void execute(const std::string& sql);

  /// Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;

  /// True while an explicit transaction is open.
  bool in_transaction() const;

  /// The SQLiteCpp database, for SQLiteCpp's transactions.
  SQLite::Database& database() noexcept { return database_; }

 private:
  void configure();

  SQLite::Database database_;
  // Declared after database_ so that every statement is finalized before the close.
  std::unordered_map<std::string, SQLite::Statement, sql_hash, std::equal_to<>> statements_;
};

}  // namespace livechat::store::sqlite
