#include "store/postgres/transaction.hpp"

namespace livechat::store::postgres {

transaction::transaction(connection& database, kind mode) : connection_(database) {
  connection_.execute(mode == kind::write ? "BEGIN"
                                          : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

transaction::~transaction() {
  if (committed_) return;
  try {
    connection_.execute("ROLLBACK");
  } catch (...) {
    // Nothing better to do from a destructor: the pool sees the connection is not reusable.
  }
}

void transaction::commit() {
  committed_ = true;  // a failed COMMIT has ended the transaction all the same
  connection_.execute("COMMIT");
}

}  // namespace livechat::store::postgres
