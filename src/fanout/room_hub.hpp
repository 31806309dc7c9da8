#pragma once
// The live state of every room on this node: its recent history, the messages kept since the
// last tick, and which I/O threads have listeners for it. At each tick it builds one batch per
// room (serialized once) and hands it to exactly the threads that listen.
//
// Promises:
// * Order: a room's messages reach every listening thread in id order, each in one batch only.
// * No gap: `subscribe` registers a listener and returns what memory holds after the given id
//   in one atomic step, so the snapshot plus later batches cover every message (duplicates are
//   possible across the two and are the subscriber's to drop, by id).
// * Cost: a subscribe holds the lock for a constant time whatever HISTORY_SIZE is (the history
//   is shared as a view, copied by the subscriber outside the lock): ten thousand viewers
//   joining a hot session at once do not queue behind copies of its history.
// * Bounded: a room nobody listens to leaves nothing behind, closed or not (the ids of the
//   latest closed rooms are remembered, without their history, for subscribers racing a close).
// * Thread-safe: every call may come from any thread.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_set>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/broker.hpp"
#include "broker/message_sink.hpp"
#include "fanout/batch.hpp"
#include "fanout/room_history.hpp"
#include "model/string_hash.hpp"

namespace livechat::fanout {

using batch_list = std::vector<std::shared_ptr<const batch>>;

/// Hands one tick's batches to I/O thread `thread_index` (typically by posting to it). Called
/// from the thread that flushes; the batches are in the order they must be delivered.
using delivery_function = std::function<void(std::size_t thread_index, batch_list batches)>;

struct subscribe_snapshot {
  history_view recent;                 // kept messages after the asked id that memory holds
  std::int64_t oldest_held_id = 0;     // the oldest message memory holds for the room (0: none)
  std::int64_t last_id = 0;            // the newest id this node has seen kept (0: none yet)
  bool closed = false;                 // the room is closed: after `recent`, nothing comes
};

class room_hub final : public broker::message_sink {
 public:
  /// `history_size`: messages kept in memory per room (HISTORY_SIZE). `on_pending`, when
  /// given, is called (under no lock) each time something starts waiting for a flush: to
  /// flush at once when FLUSH_INTERVAL_MS is 0.
  room_hub(std::size_t thread_count, std::size_t history_size, delivery_function deliver,
           std::function<void()> on_pending = {});

  /// Tells `broker` when a room gets its first listener here and loses its last (broker's
  /// subscribe / unsubscribe, called under this hub's lock, so in the order they happened).
  /// Set once, before the first subscribe.
  void listen_through(broker::broker& broker) { broker_ = &broker; }

  /// Newly kept messages of one room: ids ascending, following the ones appended before. The
  /// broker calls this after the messages are durable, never before. A gap (the broker could
  /// not fill it) drops the room's memory first: listeners behind it then find no memory to
  /// fill it from and resume from the store. Raw messages among them go only to the pending
  /// batch, in place.
  void append(std::string_view room_id, std::span<const model::message> kept) override;

  /// Messages kept before this node listened to the room: into memory, not delivered.
  void recall(std::string_view room_id, std::span<const model::message> earlier) override;

  /// The room closed (or the session ended): listeners get what was kept before, then
  /// `closed`, and nothing more; later subscribers learn it from their snapshot.
  void close(std::string_view room_id) override;

  /// A member exited: their listeners get what was kept before, then `left` (SPEC 4).
  void left(std::string_view room_id, std::string_view user_id) override;

  /// Registers a listener of `room_id` on I/O thread `thread_index` and returns, atomically
  /// with it, the messages memory holds with ids above `after_id` (as a view: read it outside
  /// any lock).
  subscribe_snapshot subscribe(std::string_view room_id, std::size_t thread_index,
                               std::int64_t after_id);

  /// Removes one listener registered by `subscribe`.
  void unsubscribe(std::string_view room_id, std::size_t thread_index);

  /// The messages with ids in (after_id, up_to_id], ascending, when memory holds all of them;
  /// empty otherwise. Never blocks on I/O: for filling a subscriber's gap on an I/O thread.
  std::vector<model::message> recent_between(std::string_view room_id, std::int64_t after_id,
                                             std::int64_t up_to_id) const;

  /// Builds the batches of everything appended or closed since the last flush and hands each
  /// to the threads that listen to its room. Called every FLUSH_INTERVAL_MS by one thread.
  void flush();

  /// True when something waits for the next flush.
  bool has_pending() const;

  /// Called from flush() for each batch with messages built (so: delivered to at least one
  /// listener); for usage reporting. Set before the first flush.
  void observe_batches(std::function<void(const batch& built)> observer) {
    observer_ = std::move(observer);
  }

 private:
  struct room_state {
    explicit room_state(std::size_t history_size) : history(history_size) {}

    room_history history;                 // the newest kept messages, at most history_size_
    std::vector<model::message> pending;  // kept since the last flush
    std::vector<std::uint32_t> listeners_per_thread;
    std::size_t listeners = 0;
    std::int64_t last_id = 0;
    bool closed = false;
    bool close_pending = false;
    std::vector<member_exit> exits_pending;  // since the last flush
    bool dirty = false;
  };

  room_state& room(std::string_view room_id);  // under mutex_
  // Under mutex_; true when this made the pending set non-empty (call on_pending_ after).
  bool mark_dirty(std::string_view room_id, room_state& state);
  void forget_if_idle(std::string_view room_id);  // under mutex_
  void remember_closed(std::string_view room_id);  // under mutex_
  // Under mutex_: `message` (the next id, or after a gap) into the room's memory.
  void remember(room_state& state, const model::message& message) const;

  const std::size_t thread_count_;
  const std::size_t history_size_;
  const delivery_function deliver_;
  const std::function<void()> on_pending_;
  std::function<void(const batch&)> observer_;
  broker::broker* broker_ = nullptr;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, room_state, model::string_hash, std::equal_to<>> rooms_;
  std::vector<std::string> dirty_rooms_;
  // The latest closed rooms that nobody here listened to any more, oldest first, without
  // their history: a subscriber that checked the store just before the close still learns
  // of it. Bounded, so that closed rooms do not add up over the life of the process.
  std::deque<std::string> recently_closed_;
  std::unordered_set<std::string_view> recently_closed_ids_;  // views into recently_closed_
};

}  // namespace livechat::fanout
