#include "protocol/stomp_destinations.hpp"

#include <fmt/format.h>

#include "model/ids.hpp"

namespace livechat::protocol {

namespace {
constexpr std::string_view subscribe_prefix = "/chat/";
constexpr std::string_view send_prefix = "/queue/message/";

std::optional<std::string> room_after(std::string_view destination, std::string_view prefix) {
  if (!destination.starts_with(prefix)) return std::nullopt;
  return model::parse_uuid(destination.substr(prefix.size()));
}
}  // namespace

std::string subscribe_destination(std::string_view room_id) {
  return fmt::format("{}{}", subscribe_prefix, room_id);
}

std::optional<std::string> parse_subscribe_destination(std::string_view destination) {
  return room_after(destination, subscribe_prefix);
}

std::optional<std::string> parse_send_destination(std::string_view destination) {
  return room_after(destination, send_prefix);
}

std::string message_id(std::string_view room_id, std::int64_t id) {
  if (id < 0) return fmt::format("{}:raw-{}", room_id, -id);
  return fmt::format("{}:{}", room_id, id);
}

namespace {

stomp::message_frame_parts notice_parts(std::string_view room_id, std::string_view type,
                                        stomp::protocol_version version) {
  const std::string body = fmt::format(R"({{"type":"{}","roomId":"{}"}})", type, room_id);
  return stomp::encode_message_parts(subscribe_destination(room_id),
                                     fmt::format("{}:{}", room_id, type), body, version);
}

}  // namespace

stomp::message_frame_parts closed_message_parts(std::string_view room_id,
                                                stomp::protocol_version version) {
  return notice_parts(room_id, "closed", version);
}

stomp::message_frame_parts left_message_parts(std::string_view room_id,
                                              stomp::protocol_version version) {
  return notice_parts(room_id, "left", version);
}

}  // namespace livechat::protocol
