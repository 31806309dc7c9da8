#include "store/sqlite/error.hpp"

#include <SQLiteCpp/Exception.h>

#include <string>

#include "store/store.hpp"

namespace livechat::store::sqlite {

void throw_error(const SQLite::Exception& failure, std::string_view context) {
  std::string message{"sqlite: "};
  message.append(context);
  message.append(": ");
  message.append(failure.what());
  throw store_error(message);
}

}  // namespace livechat::store::sqlite
