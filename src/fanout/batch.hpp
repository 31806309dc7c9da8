#pragma once
// One room's messages of one delivery tick, serialized once for every wire format. Immutable
// once made, and shared by every connection that delivers it: the bytes that reach ten
// thousand subscribers are built one time.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/records.hpp"
#include "protocol/stomp/frame_encoder.hpp"

namespace livechat::fanout {

/// A member's exit: their streams of the room get the messages up to `after_id`, then `left`.
struct member_exit {
  std::string user_id;
  std::int64_t after_id = 0;
};

struct batch {
  std::string room_id;
  // In the order received: messages with consecutive ids, ascending, and raw Chat Sync
  // messages (no id) among them; may be empty when closing.
  std::vector<model::message> messages;
  bool closes_room = false;               // after these messages the room is closed for good
  std::vector<member_exit> exits;         // members who left (rare: empty in nearly every batch)

  std::vector<std::string> message_json;  // each message's JSON, the body of its STOMP MESSAGE
  std::string sse_events;                 // the tick's SSE event, then `event: closed` if closing
  // Each message's STOMP MESSAGE frame cut around the subscription id (STOMP 1.1/1.2
  // escaping), then the `closed` notice's when closing.
  std::vector<stomp::message_frame_parts> stomp_frames;

  // The first and the last id among the messages, 0 when none has one (all raw, or none):
  // found once by make_batch, read for every listener.
  std::int64_t first_id_seen = 0;
  std::int64_t last_id_seen = 0;

  std::int64_t first_id() const { return first_id_seen; }
  std::int64_t last_id() const { return last_id_seen; }
  /// How many of the messages have an id (the others are raw).
  std::size_t id_count() const {
    return last_id() == 0 ? 0 : static_cast<std::size_t>(last_id() - first_id() + 1);
  }
};

/// Serializes `messages` (consecutive ids of `room_id`, raw ones among them) for every wire
/// format.
std::shared_ptr<const batch> make_batch(std::string room_id, std::vector<model::message> messages,
                                        bool closes_room, std::vector<member_exit> exits = {});

}  // namespace livechat::fanout
