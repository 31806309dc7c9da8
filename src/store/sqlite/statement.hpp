#pragma once
// One execution of a prepared SQLite statement: bind parameters, step through rows, read
// columns. The statement itself stays cached in its connection; this handle only borrows it.

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3_stmt;

namespace livechat::store::sqlite {

class statement {
 public:
  /// Borrows `handle`, which the connection owns and keeps prepared.
  explicit statement(sqlite3_stmt* handle) noexcept : handle_(handle) {}

  /// Resets the statement and clears its bindings, so a half-read result never keeps a read
  /// snapshot open and the next use starts clean.
  ~statement();

  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  /// Binds parameter `index` (from 1). Text is copied, so temporaries are safe to pass.
  statement& bind(int index, std::int64_t value);
  statement& bind(int index, std::string_view value);

  /// Binds `values` to parameters 1, 2, 3…
  template <typename... Values>
  statement& bind_all(const Values&... values) {
    int index = 1;
    (bind(index++, values), ...);
    return *this;
  }

  /// Advances to the next row: true when a row is ready to read, false when the statement has
  /// finished. Throws store_error on failure.
  bool step();

  /// Steps to the end, for statements that return no rows (INSERT, UPDATE, DELETE, BEGIN…).
  void run();

  /// Columns of the current row, counted from 0. NULL reads as 0 or "".
  std::int64_t column_int64(int column) const;
  std::string column_text(int column) const;

 private:
  sqlite3_stmt* handle_;
};

}  // namespace livechat::store::sqlite
