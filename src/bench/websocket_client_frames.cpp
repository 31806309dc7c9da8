#include "bench/websocket_client_frames.hpp"

#include <random>

#include "net/websocket/frame_writer.hpp"

namespace livechat::bench {

frame_read_result read_server_frame(std::string_view bytes, std::uint64_t max_payload) {
  if (bytes.size() < 2) return frame_incomplete{};
  const auto first = static_cast<std::uint8_t>(bytes[0]);
  const auto second = static_cast<std::uint8_t>(bytes[1]);
  if ((first & 0x70) != 0) return frame_malformed{"reserved bits set"};
  if ((second & 0x80) != 0) return frame_malformed{"a server frame is masked"};

  std::size_t header = 2;
  std::uint64_t length = second & 0x7F;
  if (length == 126 || length == 127) {
    const std::size_t extra = length == 126 ? 2 : 8;
    if (bytes.size() < header + extra) return frame_incomplete{};
    length = 0;
    for (std::size_t i = 0; i < extra; ++i) {
      length = (length << 8) | static_cast<std::uint8_t>(bytes[header + i]);
    }
    header += extra;
  }
  if (length > max_payload) return frame_malformed{"frame over the size limit"};
  if (bytes.size() - header < length) return frame_incomplete{};

  server_frame frame;
  frame.op = static_cast<opcode>(first & 0x0F);
  frame.fin = (first & 0x80) != 0;
  frame.payload = bytes.substr(header, static_cast<std::size_t>(length));
  frame.size = header + static_cast<std::size_t>(length);
  return frame;
}

void append_client_frame(std::string& out, opcode op, std::string_view payload) {
  // The mask only has to be unpredictable to scripts in a browser; any source will do here.
  thread_local std::minstd_rand random{std::random_device{}()};
  const auto mask_word = static_cast<std::uint32_t>(random());
  const net::websocket::mask_key key{
      static_cast<std::uint8_t>(mask_word), static_cast<std::uint8_t>(mask_word >> 8),
      static_cast<std::uint8_t>(mask_word >> 16), static_cast<std::uint8_t>(mask_word >> 24)};
  net::websocket::append_masked_frame(out, 0x80 | static_cast<std::uint8_t>(op), payload, key);
}

}  // namespace livechat::bench
