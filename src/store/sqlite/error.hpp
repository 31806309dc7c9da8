#pragma once
// Turning SQLiteCpp's exceptions into the store's one failure type, so that no caller ever
// sees a SQLite exception or result code.

#include <string_view>

namespace SQLite {
class Exception;
}

namespace livechat::store::sqlite {

/// Throws store_error naming what we were doing (`context`) and SQLite's own explanation of
/// `failure`.
[[noreturn]] void throw_error(const SQLite::Exception& failure, std::string_view context);

}  // namespace livechat::store::sqlite
