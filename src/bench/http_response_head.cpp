#include "bench/http_response_head.hpp"

#include <algorithm>
#include <cctype>

#include "model/text.hpp"

namespace livechat::bench {
namespace {

constexpr std::size_t max_head_bytes = 16 * 1024;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool contains_ignoring_case(std::string_view text, std::string_view word) {
  if (word.size() > text.size()) return false;
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    if (equals_ignoring_case(text.substr(i, word.size()), word)) return true;
  }
  return false;
}

}  // namespace

head_parse_result parse_response_head(std::string_view bytes) {
  const auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > max_head_bytes) return head_malformed{"response head over 16 KiB"};
    return head_incomplete{};
  }
  http_response_head head;
  head.size = end + 4;
  std::string_view lines = bytes.substr(0, end + 2);

  const auto status_end = lines.find("\r\n");
  const std::string_view status_line = lines.substr(0, status_end);
  lines.remove_prefix(status_end + 2);
  // "HTTP/1.1 200 OK": the code is the three digits after the first space.
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    return head_malformed{"not an HTTP/1.x status line"};
  }
  for (std::size_t i = 9; i < 12; ++i) {
    const char digit = status_line[i];
    if (digit < '0' || digit > '9') return head_malformed{"bad status code"};
    head.status = head.status * 10 + (digit - '0');
  }

  while (!lines.empty()) {
    const auto line_end = lines.find("\r\n");
    const std::string_view line = lines.substr(0, line_end);
    lines.remove_prefix(line_end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return head_malformed{"header line without ':'"};
    if (equals_ignoring_case(model::trim_blanks(line.substr(0, colon)), "transfer-encoding") &&
        contains_ignoring_case(line.substr(colon + 1), "chunked")) {
      head.chunked = true;
    }
  }
  return head;
}

}  // namespace livechat::bench
