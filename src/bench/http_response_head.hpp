#pragma once
// The head of an HTTP/1.1 response as a subscriber meets it: status line and headers, up to the
// blank line. Only what the bench acts on is kept.

#include <cstddef>
#include <optional>
#include <string_view>
#include <variant>

namespace livechat::bench {

struct http_response_head {
  int status = 0;
  bool chunked = false;      // Transfer-Encoding: chunked (nchan's streams)
  std::size_t size = 0;      // bytes of the head, the blank line included
};

/// The head is not complete yet: wait for more bytes.
struct head_incomplete {};

/// Not an HTTP response, or a head over the size limit.
struct head_malformed {
  std::string_view reason;
};

using head_parse_result = std::variant<http_response_head, head_incomplete, head_malformed>;

/// Parses the response head at the start of `bytes`.
head_parse_result parse_response_head(std::string_view bytes);

}  // namespace livechat::bench
