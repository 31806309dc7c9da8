#include "store/sqlite/statement.hpp"

#include <sqlite3.h>

#include "store/sqlite/error.hpp"

namespace livechat::store::sqlite {

statement::~statement() {
  // sqlite3_reset repeats the last step's error, which step() has already reported.
  sqlite3_reset(handle_);
  sqlite3_clear_bindings(handle_);
}

statement& statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(handle_, index, value) != SQLITE_OK) {
    throw_error(sqlite3_db_handle(handle_), "bind");
  }
  return *this;
}

statement& statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text64(handle_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                          SQLITE_UTF8) != SQLITE_OK) {
    throw_error(sqlite3_db_handle(handle_), "bind");
  }
  return *this;
}

bool statement::step() {
  switch (sqlite3_step(handle_)) {
    case SQLITE_ROW:
      return true;
    case SQLITE_DONE:
      return false;
    default:
      throw_error(sqlite3_db_handle(handle_), sqlite3_sql(handle_));
  }
}

void statement::run() {
  while (step()) {
  }
}

std::int64_t statement::column_int64(int column) const {
  return sqlite3_column_int64(handle_, column);
}

std::string statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(handle_, column));
  // Ask for the size after the text: the conversion to text may change it.
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(handle_, column));
  return text != nullptr ? std::string(text, size) : std::string{};
}

}  // namespace livechat::store::sqlite
