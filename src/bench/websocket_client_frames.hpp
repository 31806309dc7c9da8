#pragma once
// The client's side of RFC 6455 framing, as lean as a load generator needs: the frames a server
// sends (unmasked) are read in place from the receive buffer, and the few a client sends
// (STOMP frames, pongs, Socket.IO packets) are masked as section 5.3 requires.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "net/websocket/opcode.hpp"

namespace livechat::bench {

using net::websocket::opcode;

/// One whole frame at the start of a buffer.
struct server_frame {
  opcode op = opcode::text;
  bool fin = true;
  std::string_view payload;  // points into the buffer
  std::size_t size = 0;      // bytes of the frame, header included
};

struct frame_incomplete {};

struct frame_malformed {
  std::string_view reason;
};

using frame_read_result = std::variant<server_frame, frame_incomplete, frame_malformed>;

/// Reads the frame at the start of `bytes`. A server's frames are never masked; a masked one,
/// reserved bits or a payload over `max_payload` is malformed.
frame_read_result read_server_frame(std::string_view bytes, std::uint64_t max_payload);

/// Appends one masked client frame (FIN set) carrying `payload` to `out`.
void append_client_frame(std::string& out, opcode op, std::string_view payload);

}  // namespace livechat::bench
