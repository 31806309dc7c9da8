#include "net/websocket/frame_writer.hpp"

#include <array>
#include <cassert>

#include "net/websocket/close_code.hpp"
#include "net/websocket/utf8.hpp"

namespace livechat::net::websocket {

std::size_t frame_header_size(std::size_t payload_size) {
  if (payload_size < 126) return 2;
  if (payload_size <= 0xFFFF) return 4;
  return 10;
}

void append_frame_header(std::string& out, opcode op, std::size_t payload_size, bool fin) {
  assert(!is_control(op) || (fin && payload_size <= 125));
  std::array<char, 10> header{};
  header[0] = static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(op));
  const std::size_t size = frame_header_size(payload_size);
  // The length in the fewest bytes that hold it (RFC 6455 requires the minimal form), in
  // network byte order.
  const std::size_t extended_bytes = size - 2;
  if (extended_bytes == 0) {
    header[1] = static_cast<char>(payload_size);
  } else {
    header[1] = static_cast<char>(extended_bytes == 2 ? 126 : 127);
    const auto length = static_cast<std::uint64_t>(payload_size);
    for (std::size_t i = 0; i < extended_bytes; ++i) {
      header[2 + i] = static_cast<char>(length >> (8 * (extended_bytes - 1 - i)));
    }
  }
  out.append(header.data(), size);
}

namespace {

// The length byte (with `mask_bit`) and the extended length, in the fewest bytes that hold it
// (RFC 6455 requires the minimal form), in network byte order.
void append_length(std::string& out, std::uint64_t payload_size, std::uint8_t mask_bit) {
  const std::size_t extended_bytes = frame_header_size(payload_size) - 2;
  if (extended_bytes == 0) {
    out.push_back(static_cast<char>(mask_bit | payload_size));
    return;
  }
  out.push_back(static_cast<char>(mask_bit | (extended_bytes == 2 ? 126 : 127)));
  for (std::size_t i = 0; i < extended_bytes; ++i) {
    out.push_back(static_cast<char>(payload_size >> (8 * (extended_bytes - 1 - i))));
  }
}

}  // namespace

void append_masked_frame(std::string& out, std::uint8_t first_byte, std::string_view payload,
                         mask_key key) {
  out.push_back(static_cast<char>(first_byte));
  append_length(out, payload.size(), 0x80);
  out.append(reinterpret_cast<const char*>(key.data()), key.size());
  const std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) out[start + i] ^= static_cast<char>(key[i % 4]);
}

std::string encode_frame(opcode op, std::string_view payload) {
  std::string frame;
  frame.reserve(frame_header_size(payload.size()) + payload.size());
  append_frame_header(frame, op, payload.size());
  frame.append(payload);
  return frame;
}

std::string encode_close_frame(std::uint16_t code, std::string_view reason) {
  assert(close_code::is_sendable(code));
  const std::string_view kept = utf8_prefix(reason, max_close_reason_bytes);
  const std::size_t payload_size = 2 + kept.size();
  std::string frame;
  frame.reserve(frame_header_size(payload_size) + payload_size);
  append_frame_header(frame, opcode::close, payload_size);
  frame.push_back(static_cast<char>(code >> 8));
  frame.push_back(static_cast<char>(code & 0xFF));
  frame.append(kept);
  return frame;
}

}  // namespace livechat::net::websocket
