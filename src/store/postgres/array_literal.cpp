#include "store/postgres/array_literal.hpp"

namespace livechat::store::postgres {

void array_literal::separate() {
  if (text_.size() > 1) text_ += ',';
}

void array_literal::add(std::string_view value) {
  separate();
  // Inside double quotes only '"' and '\' are special; each is escaped with a backslash.
  text_ += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void array_literal::add(std::int64_t value) {
  separate();
  text_ += std::to_string(value);
}

}  // namespace livechat::store::postgres
