#pragma once
// The broker: the one way into a room for every accepted message. It gives each message the
// room's next id, makes it durable, and hands it to the fan-out of every node with listeners.
//
// Promises of every implementation (memory_broker for embedded mode, redis_broker for
// cluster mode):
// * Ids: per room 1, 2, 3… in the order publishes are taken, with no gap and no repeat, the
//   same on every node. A publish that fails takes no id.
// * Acknowledged means kept: `done` reports success only once the messages are durable
//   (committed to SQLite in embedded mode; written to Redis in cluster mode).
// * Delivery follows durability: the hub gets a message only after it is kept, in id order.
// * `done` is called exactly once, on a broker thread, and must not block.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "model/records.hpp"

namespace livechat::broker {

/// `kept` holds the messages with their ids when `ok`; empty when the publish failed (the
/// store was unavailable) and nothing was kept.
using publish_callback = std::function<void(bool ok, std::span<const model::message> kept)>;

class broker {
 public:
  virtual ~broker() = default;

  /// Publishes messages of one room (their `id` is ignored and assigned here), all or none.
  virtual void publish(std::vector<model::message> messages, publish_callback done) = 0;

  /// Ends a room or session: every node's listeners get `closed` after what was kept before.
  virtual void close(const std::string& room_id) = 0;

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
