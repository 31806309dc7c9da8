#pragma once
// Small text helpers every layer shares.

#include <string_view>

namespace livechat::model {

/// `text` without the spaces and tabs (HTTP's optional whitespace) at either end.
constexpr std::string_view trim_blanks(std::string_view text) {
  constexpr std::string_view blanks = " \t";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

}  // namespace livechat::model
