#pragma once
// The hash of a connection's statement cache: transparent, so that the cache is searched with
// the string_view callers pass, without a copy.

#include <cstddef>
#include <functional>
#include <string_view>

namespace livechat::store {

struct sql_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view sql) const {
    return std::hash<std::string_view>{}(sql);
  }
};

}  // namespace livechat::store
