#pragma once
// The STOMP names of livechat (SPEC.md section 5.1): destinations, message ids, and the
// `closed` notice's MESSAGE frame.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/stomp/frame_encoder.hpp"

namespace livechat::protocol {

/// "/chat/{roomId}": where a room's (or session's) messages are subscribed to.
std::string subscribe_destination(std::string_view room_id);

/// The room id in a SUBSCRIBE destination `/chat/{id}` (canonical UUID), or nullopt.
std::optional<std::string> parse_subscribe_destination(std::string_view destination);

/// The room id in a SEND destination `/queue/message/{id}`, or nullopt.
std::optional<std::string> parse_send_destination(std::string_view destination);

/// "{roomId}:{id}": a MESSAGE frame's message-id; "{roomId}:raw-{n}" for raw message -n (SPEC 6).
std::string message_id(std::string_view room_id, std::int64_t id);

/// The MESSAGE frame that tells a subscriber its room closed: body
/// `{"type":"closed","roomId":…}`, message-id "{roomId}:closed".
stomp::message_frame_parts closed_message_parts(
    std::string_view room_id, stomp::protocol_version version = stomp::protocol_version::v1_2);

/// The MESSAGE frame that tells a member their membership ended (they exited): body
/// `{"type":"left","roomId":…}`, message-id "{roomId}:left".
stomp::message_frame_parts left_message_parts(
    std::string_view room_id, stomp::protocol_version version = stomp::protocol_version::v1_2);

}  // namespace livechat::protocol
