#pragma once
// A transaction that rolls back unless committed, so an exception anywhere inside leaves the
// database as it was: SQLiteCpp's Transaction, with its failures turned into store_error.

#include <SQLiteCpp/Transaction.h>

#include "store/sqlite/connection.hpp"

namespace livechat::store::sqlite {

class transaction {
 public:
  enum class kind {
    read,   // BEGIN DEFERRED: one consistent snapshot for several reads
    write,  // BEGIN IMMEDIATE: takes the write lock up front, so two transactions that both
            // read before they write cannot deadlock upgrading their locks
  };

  /// Begins the transaction. Throws store_error on failure (a lock not granted in time).
  transaction(connection& database, kind mode);

  /// Rolls back when commit() was not reached; never throws (SQLiteCpp's destructor).
  ~transaction() = default;

  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  /// Commits; with synchronous=FULL the changes are on disk when this returns.
  void commit();

 private:
  SQLite::Transaction transaction_;
};

}  // namespace livechat::store::sqlite
