#pragma once
// UTF-8 as WebSocket requires it of text messages and close reasons (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).

#include <cstddef>
#include <string_view>

namespace livechat::net::websocket {

/// True when `text` is entirely well-formed UTF-8 (the empty text is).
bool is_valid_utf8(std::string_view text);

/// The longest prefix of `text` of at most `max_bytes` bytes that does not cut a character of
/// well-formed UTF-8 in two.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace livechat::net::websocket
