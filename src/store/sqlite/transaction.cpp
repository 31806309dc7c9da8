#include "store/sqlite/transaction.hpp"

#include "store/sqlite/error.hpp"

namespace livechat::store::sqlite {

transaction::transaction(connection& database, kind mode) try
    : transaction_(database.database(), mode == kind::write
                                             ? SQLite::TransactionBehavior::IMMEDIATE
                                             : SQLite::TransactionBehavior::DEFERRED) {
} catch (const SQLite::Exception& failure) {
  throw_error(failure, mode == kind::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

void transaction::commit() {
  try {
    transaction_.commit();
  } catch (const SQLite::Exception& failure) {
    throw_error(failure, "COMMIT");
  }
}

}  // namespace livechat::store::sqlite
