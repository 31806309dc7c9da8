#pragma once
// A transaction that rolls back unless committed, so an exception anywhere inside leaves the
// database as it was.

#include "store/postgres/connection.hpp"

namespace livechat::store::postgres {

class transaction {
 public:
  enum class kind {
    write,     // READ COMMITTED: rows the work must keep unchanged are locked (FOR UPDATE)
    snapshot,  // REPEATABLE READ, READ ONLY: several reads that must agree with each other
  };

  transaction(connection& database, kind mode);

  /// Rolls back when commit() was not reached; never throws. A connection whose rollback fails
  /// is left in a transaction, which makes the pool close it.
  ~transaction();

  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  /// Commits; with synchronous_commit on, the changes are on the server's disk when this returns.
  void commit();

 private:
  connection& connection_;
  bool committed_ = false;
};

}  // namespace livechat::store::postgres
