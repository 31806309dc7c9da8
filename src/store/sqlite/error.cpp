#include "store/sqlite/error.hpp"

#include <sqlite3.h>

#include <string>

#include "store/store.hpp"

namespace livechat::store::sqlite {

void throw_error(sqlite3* database, std::string_view context) {
  std::string message{"sqlite: "};
  message.append(context);
  message.append(": ");
  message.append(database != nullptr ? sqlite3_errmsg(database) : "out of memory");
  throw store_error(message);
}

void throw_error(int result_code, std::string_view context) {
  std::string message{"sqlite: "};
  message.append(context);
  message.append(": ");
  message.append(sqlite3_errstr(result_code));
  throw store_error(message);
}

}  // namespace livechat::store::sqlite
