#pragma once
// A page of a list as SQL's LIMIT and OFFSET, shared by the SQL stores.

#include <cstdint>
#include <limits>
#include <optional>

#include "store/store.hpp"

namespace livechat::store {

struct row_window {
  std::int64_t limit;
  std::int64_t offset;
};

/// The rows `page` covers; nullopt when it can hold none: an empty or negative page, or one so
/// far out that its offset would overflow. (SQLite reads a negative LIMIT as "no limit" and
/// PostgreSQL refuses one, so these must never reach either.)
inline std::optional<row_window> window_of(page_request page) {
  if (page.size <= 0 || page.page < 0) return std::nullopt;
  if (page.page > std::numeric_limits<std::int64_t>::max() / page.size) return std::nullopt;
  return row_window{page.size, page.page * page.size};
}

}  // namespace livechat::store
