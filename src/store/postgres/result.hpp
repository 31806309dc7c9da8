#pragma once
// The rows a PostgreSQL statement returned, owned until the result goes out of scope. Values
// travel as text (libpq's text format), so reading a column parses it.

#include <cstdint>
#include <memory>
#include <string>

struct pg_result;

namespace livechat::store::postgres {

class result {
 public:
  /// Takes ownership of `handle` (a successful result).
  explicit result(pg_result* handle) noexcept;

  /// Number of rows returned (0 for INSERT, UPDATE, DELETE without RETURNING).
  int rows() const;

  /// Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const;

  /// The value at (`row`, `column`), counted from 0. NULL reads as 0 or "".
  std::int64_t int64(int row, int column) const;
  std::string text(int row, int column) const;
  bool boolean(int row, int column) const;

 private:
  struct clearer {
    void operator()(pg_result* handle) const;
  };
  std::unique_ptr<pg_result, clearer> handle_;
};

}  // namespace livechat::store::postgres
