#pragma once
// The frame opcodes of RFC 6455 section 5.2 that this codec speaks; the parser refuses the
// reserved ones (3–7, 11–15).

#include <cstdint>

namespace livechat::net::websocket {

enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// True for close, ping and pong: frames of at most 125 bytes that are never fragmented.
constexpr bool is_control(opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

}  // namespace livechat::net::websocket
