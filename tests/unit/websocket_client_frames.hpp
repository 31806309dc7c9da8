#pragma once
// Test helpers that play the client's side of RFC 6455 framing: masked frames (the codec's one
// masking encoder, append_masked_frame, with chosen first bytes and keys), unmasked ones built
// byte by byte, and masking of the server writer's output.

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "net/websocket/frame_parser.hpp"
#include "net/websocket/frame_writer.hpp"
#include "net/websocket/opcode.hpp"

namespace livechat::net::websocket::test_support {

// The key of RFC 6455 section 5.7's masked examples.
inline constexpr mask_key rfc_key{0x37, 0xfa, 0x21, 0x3d};

inline std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

// A frame with `first_byte` as given (FIN, RSV and opcode) and the payload masked with `key`, or
// left unmasked without one. The length takes the minimal form.
inline std::string raw_client_frame(std::uint8_t first_byte, std::string_view payload,
                                    std::optional<mask_key> key = rfc_key) {
  std::string frame;
  if (key) {
    append_masked_frame(frame, first_byte, payload, *key);
    return frame;
  }
  frame.push_back(static_cast<char>(first_byte));
  const std::uint64_t size = payload.size();
  if (size < 126) {
    frame.push_back(static_cast<char>(size));
  } else if (size <= 0xFFFF) {
    frame.push_back(static_cast<char>(126));
    for (int shift = 8; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  } else {
    frame.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  }
  return frame.append(payload);
}

// A masked client frame.
inline std::string client_frame(opcode op, std::string_view payload, bool fin = true,
                                mask_key key = rfc_key) {
  const auto first = static_cast<std::uint8_t>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(op));
  return raw_client_frame(first, payload, key);
}

// A close frame's payload: the code in network order, then the reason.
inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  return payload.append(reason);
}

// The server frame `frame` (one, unmasked) as a client would send it: mask bit set, `key`
// inserted after the length, payload masked.
inline std::string mask_server_frame(std::string_view frame, mask_key key = rfc_key) {
  const std::uint8_t length = static_cast<std::uint8_t>(frame[1]) & 0x7F;
  const std::size_t header_size = length == 126 ? 4 : length == 127 ? 10 : 2;
  std::string masked;
  append_masked_frame(masked, static_cast<std::uint8_t>(frame[0]), frame.substr(header_size), key);
  return masked;
}

}  // namespace livechat::net::websocket::test_support

namespace livechat::net::websocket {

// Readable failures in GoogleTest (found by argument-dependent lookup).
inline void PrintTo(const frame_event& event, std::ostream* out) {
  *out << "{op " << static_cast<int>(event.op) << ", " << event.payload.size() << " bytes";
  if (event.payload.size() <= 40) *out << " \"" << event.payload << '"';
  if (event.op == opcode::close) *out << ", code " << event.close_code;
  *out << '}';
}

inline void PrintTo(const protocol_error& error, std::ostream* out) {
  *out << '{' << error.close_code << ' ' << error.reason << '}';
}

}  // namespace livechat::net::websocket
