#pragma once
// Turning SQLite's result codes into the store's one failure type, so that no caller ever
// sees a raw SQLite code.

#include <string_view>

struct sqlite3;

namespace livechat::store::sqlite {

/// Throws store_error naming what we were doing (`context`) and SQLite's own explanation of
/// the last failure on `database`.
[[noreturn]] void throw_error(sqlite3* database, std::string_view context);

/// Throws store_error for a result code that has no connection to ask (a failed open).
[[noreturn]] void throw_error(int result_code, std::string_view context);

}  // namespace livechat::store::sqlite
