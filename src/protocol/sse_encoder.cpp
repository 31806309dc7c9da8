#include "protocol/sse_encoder.hpp"

#include <fmt/format.h>

namespace livechat::sse {

std::string_view stream_preamble() { return "retry: 3000\n\n"; }

std::string_view keep_alive_comment() { return ": ping\n\n"; }

std::string encode_messages_event(std::int64_t last_id, std::span<const std::string> message_json) {
  std::size_t size = 32;
  for (const auto& json : message_json) size += json.size() + 1;
  std::string event;
  event.reserve(size);
  // Serialized JSON never contains a raw line break, so the array fits on one data: line.
  // Without an id line the client's Last-Event-ID stays at the last id it saw.
  if (last_id > 0) fmt::format_to(std::back_inserter(event), "id: {}\n", last_id);
  event += "data: [";
  for (std::size_t i = 0; i < message_json.size(); ++i) {
    if (i > 0) event.push_back(',');
    event += message_json[i];
  }
  event += "]\n\n";
  return event;
}

std::string encode_left_event(std::string_view room_id) {
  return fmt::format("event: left\ndata: {{\"type\":\"left\",\"roomId\":\"{}\"}}\n\n", room_id);
}

std::string encode_closed_event(std::string_view room_id) {
  // Room ids are UUIDs: nothing in them needs JSON escaping.
  return fmt::format("event: closed\ndata: {{\"type\":\"closed\",\"roomId\":\"{}\"}}\n\n", room_id);
}

}  // namespace livechat::sse
