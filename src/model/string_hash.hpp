#pragma once
// A hash for string-keyed containers that may be searched with a std::string_view, without
// building a std::string for every lookup (C++20 heterogeneous lookup: pair it with
// std::equal_to<>).

#include <cstddef>
#include <functional>
#include <string_view>

namespace livechat::model {

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

}  // namespace livechat::model
