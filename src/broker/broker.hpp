#pragma once
// The broker: the one way into a room for every accepted message. It gives each message the
// room's next id, makes it durable, and hands it to the fan-out of every node with listeners.
//
// Promises of every implementation (memory_broker for embedded mode, redis_broker for
// cluster mode):
// * Ids: per room 1, 2, 3… in the order publishes are taken, with no gap and no repeat, the
//   same on every node. A publish that fails takes no id.
// * Acknowledged means kept: `done` reports `kept` only once the messages are durable
//   (committed to SQLite in embedded mode; written to Redis in cluster mode). When the outcome
//   is not known (a connection dropped with the publish in flight) it reports `unavailable`.
// * Delivery follows durability: the sink gets a message only after it is kept, in id order,
//   each id once; control events (closed, left) in place between the messages.
// * `done` is called exactly once, on a broker thread, and must not block.
// * Threads: every member function may be called from any thread. `subscribe`, `unsubscribe`,
//   `close`, `left` and `joined` never block and never call back into the sink before they
//   return (the hub calls them under its lock); `history_*` block.
// * Reconnects (cluster mode): while the broker's connection is down publishes fail
//   (`unavailable`) and `healthy()` is false; once it is back, the broker fills every
//   listened room from what it missed before it delivers anything newer, so the sink still sees
//   each id once and in order. Only when the missed part is gone from the broker's memory too
//   (trimmed below what the database holds) does the sink see a gap (message_sink says what
//   it does then).

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "model/records.hpp"

namespace livechat::broker {

enum class publish_status {
  kept,         // durable; `kept` holds the messages with their ids
  unavailable,  // not kept, or not known to be (the database or Redis is away): try again
  closed,       // refused: the room is closed or the session ended
  sender_left,  // refused: the sender's membership was revoked
};

/// `kept` holds the messages with their ids when `status` is `kept`; empty otherwise.
using publish_callback =
    std::function<void(publish_status status, std::span<const model::message> kept)>;

class broker {
 public:
  virtual ~broker() = default;

  /// Publishes messages of one room (their `id` is ignored and assigned here), all or none.
  virtual void publish(std::vector<model::message> messages, publish_callback done) = 0;

  /// Ends a room or session: every node's listeners get `closed` after what was kept before,
  /// and later publishes are refused.
  virtual void close(const std::string& room_id) = 0;

  /// `user_id`'s membership of the room was revoked (exit): every node's listeners get `left`
  /// after what was kept before, and later publishes by that user are refused until `joined`.
  virtual void left(const std::string& room_id, const std::string& user_id) = 0;

  /// `user_id` joined the room (again): their publishes are taken from now on.
  virtual void joined(const std::string& room_id, const std::string& user_id) = 0;

  /// This node's first listener of `room_id` arrived: from now on every message and event of
  /// the room reaches the sink. The hub calls it once per 0→1 listener change.
  virtual void subscribe(const std::string& room_id) = 0;

  /// This node's last listener of `room_id` left: the room need not reach the sink any more.
  virtual void unsubscribe(const std::string& room_id) = 0;

  /// True when publishes can be kept now (for /readyz).
  virtual bool healthy() const = 0;

  /// Up to `limit` kept messages with id > `after_id`, ascending. Blocks (it may read the
  /// store): call it from a worker thread.
  virtual std::vector<model::message> history_after(const std::string& room_id,
                                                    std::int64_t after_id, std::int64_t limit) = 0;

  /// The last `limit` kept messages with id < `before_id`, ascending. Blocks, as above.
  virtual std::vector<model::message> history_before(const std::string& room_id,
                                                     std::int64_t before_id,
                                                     std::int64_t limit) = 0;

  /// Finishes what was accepted (commits and delivers it), then stops taking publishes.
  virtual void stop() = 0;
};

}  // namespace livechat::broker
