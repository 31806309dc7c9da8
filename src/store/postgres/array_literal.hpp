#pragma once
// PostgreSQL array literals ('{"a","b"}', '{1,2}'), so that a whole batch of rows travels as
// one parameter per column of one prepared INSERT … SELECT FROM unnest(…).

#include <cstdint>
#include <string>
#include <string_view>

namespace livechat::store::postgres {

/// Builds one array literal, element by element.
class array_literal {
 public:
  /// Appends `value` as a quoted element: any text, including quotes, commas and backslashes.
  void add(std::string_view value);
  void add(std::int64_t value);

  /// The literal, braces included ("{}" when nothing was added).
  std::string str() const { return text_ + '}'; }

 private:
  void separate();

  std::string text_ = "{";
};

}  // namespace livechat::store::postgres
