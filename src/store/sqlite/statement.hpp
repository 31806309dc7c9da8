#pragma once
// One execution of a prepared SQLite statement: bind parameters, step through rows, read
// columns. The SQLiteCpp statement itself stays cached in its connection; this handle only
// borrows it, resets it when done and turns its failures into store_error.

#include <cstdint>
#include <string>
#include <string_view>

namespace SQLite {
class Statement;
}

namespace livechat::store::sqlite {

class statement {
 public:
  /// Borrows `prepared`, which the connection owns and keeps prepared.
  explicit statement(SQLite::Statement& prepared) noexcept : statement_(prepared) {}

  /// Resets the statement and clears its bindings, so a half-read result never keeps a read
  /// snapshot open and the next use starts clean.
  ~statement();

  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  /// Binds parameter `index` (from 1). Text is copied, so temporaries are safe to pass.
  statement& bind(int index, std::int64_t value);
  statement& bind(int index, const std::string& value);
  /// SQLiteCpp binds text only from a std::string or a NUL-terminated string: this costs one.
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
  SQLite::Statement& statement_;
};

}  // namespace livechat::store::sqlite
