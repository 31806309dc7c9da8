#pragma once
// Encoding of the frames the server sends (RFC 6455 section 5.2): unmasked, no extensions.
// Headers can be written apart from their payload, so that one pre-encoded payload can be
// shared by many connections and sent with a gather write. And the one encoder of masked
// frames, as clients send them (the bench's clients, the tests).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/websocket/opcode.hpp"

namespace livechat::net::websocket {

/// The largest reason a close frame can carry: 125 payload bytes less the 2-byte code.
inline constexpr std::size_t max_close_reason_bytes = 123;

/// The size of the header of a server frame carrying `payload_size` bytes: 2, 4 or 10.
std::size_t frame_header_size(std::size_t payload_size);

/// Appends to `out` the header of a frame of `payload_size` bytes; the payload is to follow it.
/// `fin` false starts or continues a fragmented message. Control frames must be final and carry
/// at most 125 bytes.
void append_frame_header(std::string& out, opcode op, std::size_t payload_size, bool fin = true);

/// A whole, final frame: header and payload.
std::string encode_frame(opcode op, std::string_view payload);

/// A close frame with `code` (one that close_code::is_sendable allows) and `reason`, the reason
/// cut to 123 bytes without splitting a UTF-8 character.
std::string encode_close_frame(std::uint16_t code, std::string_view reason);

/// A client's masking key (section 5.3).
using mask_key = std::array<std::uint8_t, 4>;

/// Appends a frame as a client sends it: `first_byte` (FIN, RSV bits and opcode) as given, the
/// length in its minimal form with the mask bit set, `key`, then `payload` masked with it.
void append_masked_frame(std::string& out, std::uint8_t first_byte, std::string_view payload,
                         mask_key key);

}  // namespace livechat::net::websocket
