#pragma once
// What the Redis broker writes to and reads from Redis about a room: the payload of a message
// for the `publish` script, and the entries that come back on the room's channel (a JSON array
// of messages, or of one control event) and from its history stream (XRANGE replies). The
// shapes are docs/redis.md's: a message is the Message JSON with "id" first, a control event
// {"type":"closed"|"ended"|"left","roomId","userId"?,"lastId"}.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/records.hpp"
#include "redis/reply.hpp"

namespace livechat::broker {

/// One thing that happened in a room, in the room's order.
struct room_entry {
  enum class kind { message, closed, left, raw };
  kind type = kind::message;
  model::message message;  // kind::message; kind::raw: a raw Chat Sync message (no id)
  std::string user_id;     // kind::left
  std::int64_t after_id = 0;  // a control event: the last message id before it
};

/// The `publish` script's payload of `message`: its Message JSON without "id".
std::string encode_payload(const model::message& message);

/// The entries of one channel payload, in order; nullopt when it is not ours (not a JSON
/// array of messages and events).
std::optional<std::vector<room_entry>> decode_channel_payload(std::string_view payload);

/// The entries of an XRANGE / XREVRANGE reply of a history stream, in the reply's order;
/// entries it cannot read are skipped.
std::vector<room_entry> decode_stream_entries(const redis::reply& entries);

/// The room id of one of the rooms' channels (`{lc:S}:room:<id>`), empty for another channel.
std::string_view room_of_channel(std::string_view channel);

}  // namespace livechat::broker
