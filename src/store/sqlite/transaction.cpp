#include "store/sqlite/transaction.hpp"

namespace livechat::store::sqlite {

transaction::transaction(connection& database, kind mode) : connection_(database) {
  connection_.prepare(mode == kind::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED").run();
}

transaction::~transaction() {
  // SQLite rolls back by itself after some failures (disk full, I/O error); then there is
  // nothing left to roll back.
  if (committed_ || !connection_.in_transaction()) return;
  try {
    connection_.prepare("ROLLBACK").run();
  } catch (...) {
    // Nothing better to do from a destructor: the connection's next BEGIN reports the trouble.
  }
}

void transaction::commit() {
  connection_.prepare("COMMIT").run();
  committed_ = true;
}

}  // namespace livechat::store::sqlite
