#include "store/sqlite/statement.hpp"

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include "store/sqlite/error.hpp"

namespace livechat::store::sqlite {

statement::~statement() {
  // The reset repeats the last step's error, which step() has already reported; clearing the
  // bindings cannot fail.
  statement_.tryReset();
  statement_.clearBindings();
}

statement& statement::bind(int index, std::int64_t value) {
  try {
    statement_.bind(index, value);
  } catch (const SQLite::Exception& failure) {
    throw_error(failure, "bind");
  }
  return *this;
}

statement& statement::bind(int index, const std::string& value) {
  try {
    statement_.bind(index, value);
  } catch (const SQLite::Exception& failure) {
    throw_error(failure, "bind");
  }
  return *this;
}

statement& statement::bind(int index, std::string_view value) {
  return bind(index, std::string(value));
}

bool statement::step() {
  try {
    return statement_.executeStep();
  } catch (const SQLite::Exception& failure) {
    throw_error(failure, statement_.getQuery());
  }
}

void statement::run() {
  while (step()) {
  }
}

std::int64_t statement::column_int64(int column) const {
  try {
    return statement_.getColumn(column).getInt64();
  } catch (const SQLite::Exception& failure) {
    throw_error(failure, statement_.getQuery());
  }
}

std::string statement::column_text(int column) const {
  try {
    return statement_.getColumn(column).getString();
  } catch (const SQLite::Exception& failure) {
    throw_error(failure, statement_.getQuery());
  }
}

}  // namespace livechat::store::sqlite
