#pragma once
// The Server-Sent Events wire format (SPEC.md section 5.2). A stream is the response body,
// delimited by the connection's close; every piece here is ready to write as is.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace livechat::sse {

/// What a stream starts with: the client's reconnection delay.
std::string_view stream_preamble();  // "retry: 3000\n\n"

/// Sent on a stream idle for 15 s, so that proxies and clients see it alive.
std::string_view keep_alive_comment();  // ": ping\n\n"

/// One event for one tick: `id:` the last message's id, `data:` the JSON array of the messages
/// (each element already serialized). Default event type, so `EventSource.onmessage` gets it.
/// `last_id` 0: no `id:` line (the event holds only raw Chat Sync messages, which have none).
std::string encode_messages_event(std::int64_t last_id, std::span<const std::string> message_json);

/// The end of a room or session: `event: closed` with `{"type":"closed","roomId":…}`.
std::string encode_closed_event(std::string_view room_id);

/// A member's exit, on their own streams: `event: left` with `{"type":"left","roomId":…}`.
std::string encode_left_event(std::string_view room_id);

}  // namespace livechat::sse
