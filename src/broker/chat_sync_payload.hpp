#pragma once
// Chat Sync's raw publishes (SPEC 6): what a payload PUBLISHed on a session's own Redis channel
// `<sessionId>` becomes for the session's listeners. The original server's shape, a JSON object
// with `message`, `nickname`, `profileImgUrl` and `createdAt`, is mapped to a Message from
// `nickname`; any other payload (other JSON, plain text) is the contents of a Message from
// `system`. Either has no id (model::message::is_raw): the caller numbers it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "model/records.hpp"

namespace livechat::broker {

/// The sender of a raw payload that is not Chat Sync's message object.
inline constexpr std::string_view raw_system_sender = "system";

/// A raw payload larger than this is refused before it is read: a message's contents are at
/// most MAX_MESSAGE_LENGTH characters, and no client sends more than 64 KiB at once either.
inline constexpr std::size_t max_raw_payload_bytes = 64 * 1024;

/// The Message that `payload` stands for in `session_id`, received at `received_at` (its time
/// when the payload gives none that reads as RFC 3339 or epoch milliseconds). nullopt when
/// it is refused: not UTF-8, over max_raw_payload_bytes, or contents over `max_length`
/// characters; `why` then says which.
std::optional<model::message> map_raw_payload(std::string_view session_id,
                                              std::string_view payload, std::size_t max_length,
                                              model::timestamp received_at, std::string& why);

}  // namespace livechat::broker
