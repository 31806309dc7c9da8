#include "store/postgres/result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>

#include "store/store.hpp"

namespace livechat::store::postgres {

result::result(pg_result* handle) noexcept : handle_(handle) {}

void result::clearer::operator()(pg_result* handle) const { PQclear(handle); }

int result::rows() const { return PQntuples(handle_.get()); }

std::int64_t result::affected() const {
  // An empty string for statements that change no rows by nature (SELECT, BEGIN…).
  const char* count = PQcmdTuples(handle_.get());
  std::int64_t value = 0;
  std::from_chars(count, count + std::strlen(count), value);
  return value;
}

std::int64_t result::int64(int row, int column) const {
  const char* text = PQgetvalue(handle_.get(), row, column);
  const int length = PQgetlength(handle_.get(), row, column);
  std::int64_t value = 0;
  if (std::from_chars(text, text + length, value).ec != std::errc{} && length != 0) {
    throw store_error("postgres: column " + std::to_string(column) + " is not an integer");
  }
  return value;
}

std::string result::text(int row, int column) const {
  return std::string(PQgetvalue(handle_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(handle_.get(), row, column)));
}

bool result::boolean(int row, int column) const {
  // PostgreSQL writes booleans as "t" and "f".
  return PQgetvalue(handle_.get(), row, column)[0] == 't';
}

}  // namespace livechat::store::postgres
