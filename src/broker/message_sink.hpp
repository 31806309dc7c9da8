#pragma once
// Where a broker hands what it kept: this node's fan-out (fanout::room_hub implements it). The
// broker sits below the fan-out, so it knows only this.
//
// Every call of one room comes from one broker thread at a time, in the room's order.

#include <span>
#include <string_view>

#include "model/records.hpp"

namespace livechat::broker {

class message_sink {
 public:
  virtual ~message_sink() = default;

  /// Newly kept messages of one room: ids ascending, following the ones appended before.
  /// Called after the messages are durable, never before. A first id beyond the last one
  /// appended plus one is a gap the broker could not fill (cluster mode, after a long
  /// outage): the sink forgets what it held of the room, so that listeners behind the gap
  /// resume from the database rather than skip it. Raw Chat Sync messages (no id:
  /// model::message::is_raw) may come among them, in the order received: they are delivered
  /// to the listeners there are, and neither remembered nor replayed.
  virtual void append(std::string_view room_id, std::span<const model::message> kept) = 0;

  /// Messages kept before this node listened to the room (cluster mode: read from Redis when
  /// the first listener came): they fill memory for resumes and gap fills, and are not
  /// delivered live. Ids ascending; those at or below the last id held are ignored.
  virtual void recall(std::string_view room_id, std::span<const model::message> earlier) = 0;

  /// The room closed (or the session ended): after what was appended before, nothing more.
  virtual void close(std::string_view room_id) = 0;

  /// `user_id`'s membership ended (they exited): their streams of the room get what was
  /// appended before, then `left`, and nothing more.
  virtual void left(std::string_view room_id, std::string_view user_id) = 0;
};

}  // namespace livechat::broker
