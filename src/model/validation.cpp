#include "model/validation.hpp"

#include <algorithm>

namespace livechat::model {

bool is_valid_user_id(std::string_view user_id) {
  if (user_id.size() < 3 || user_id.size() > 32) return false;
  return std::all_of(user_id.begin(), user_id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

bool is_valid_user_password(std::string_view password) {
  return password.size() >= 8 && password.size() <= 128;
}

std::size_t utf8_length(std::string_view text) {
  // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool has_visible_text(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") != std::string_view::npos;
}

}  // namespace livechat::model
