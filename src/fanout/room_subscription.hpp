#pragma once
// One subscription to one room on one connection: replays what the subscriber missed after
// its last id, then goes live, so that it gets every message exactly once, in id order. Live
// batches arriving during the replay are held and trimmed by id; a batch that arrives after a
// gap has the gap filled from the hub's memory first. Transport-neutral: subclasses put the
// messages into their wire format.
//
// Lives on one I/O thread; everything but the history read (on a worker) runs there.

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fanout/delivery_services.hpp"
#include "fanout/listener.hpp"
#include "fanout/subscription_cursor.hpp"
#include "net/output_queue.hpp"

namespace livechat::fanout {

class room_subscription : public listener,
                          public std::enable_shared_from_this<room_subscription> {
 public:
  /// `after_id`: replay everything after it first; nullopt: only what comes from now on.
  /// `known_closed`: the room (session) is known to have ended, though this node's memory may
  /// not say so (after a restart): `closed` follows the replay. `member`: the user whose
  /// membership this stream stands on (empty for a session's public stream): their exit ends it.
  room_subscription(delivery_services& services, std::string room_id,
                    std::optional<std::int64_t> after_id, bool known_closed = false,
                    std::string member = {});
  ~room_subscription() override;

  /// Registers with this thread's fan-out and the hub, and starts the replay. Call on the
  /// connection's I/O thread (`thread_index`, whose executor is `executor`), once.
  void start(std::size_t thread_index, boost::asio::any_io_executor executor);

  /// Unregisters; nothing is sent after this. Idempotent.
  void stop();

  bool stopped() const { return stopped_; }

  /// The connection wrote some of its queue: a replay waiting for room goes on. Call after
  /// each completed write.
  void on_output_drained();

  /// True while a replay waits for the connection to write some of its queue.
  bool waits_for_drain() const { return replay_ && replay_->waiting_for_drain; }

 protected:
  /// The batch's shared bytes are exactly what the subscriber needs: queue them. False when the
  /// connection's queue is full.
  virtual bool send_batch(const std::shared_ptr<const batch>& whole) = 0;
  /// Queue these messages, serialized for this subscriber alone (a replay, or part of a batch).
  virtual bool send_messages(std::span<const model::message> messages) = 0;
  /// Queue the room's `closed` notice; nothing follows it.
  virtual bool send_closed() = 0;
  /// Queue the `left` notice (the member exited); nothing follows it.
  virtual bool send_left() = 0;
  /// The connection to flush once something was queued.
  virtual delivery_sink& sink() = 0;
  /// The connection's output: a replay waits while much is queued, and what the replay holds
  /// (a page, live batches that came meanwhile) is pinned against its limit.
  virtual net::output_queue& output() = 0;
  /// The subscriber fell too far behind (queue full, or a gap memory no longer covers): the
  /// connection must end; it can resume from its last id. Called at most once; the
  /// subscription is already stopped. May be called during delivery: defer destruction.
  virtual void on_too_slow() = 0;

 private:
  delivery_sink* deliver(const std::shared_ptr<const batch>& delivered) override;

  void fetch_history(std::int64_t after_id);
  void on_history(std::vector<model::message> page);
  void replay_from_memory();
  void start_page(std::vector<model::message> page);
  void pump_replay();
  void finish_replay();
  bool deliver_live(const std::shared_ptr<const batch>& delivered);
  // The id after which this member's exit in `delivered` falls; nullopt when it has none.
  std::optional<std::int64_t> exit_point(const batch& delivered) const;
  bool send_replay(std::span<const model::message> messages);
  bool pin(std::size_t bytes);
  void unpin_all();
  void give_up();
  void unregister();

  delivery_services& services_;
  const std::optional<std::int64_t> after_id_;
  const bool known_closed_;
  const std::string member_;
  std::size_t thread_index_ = 0;
  subscription_cursor cursor_{0};

  // What the start needs until the subscriber is live: allocated at start() and freed when the
  // replay ends, so a live subscription (most of them, for most of their life) does not carry
  // it.
  struct replay_state {
    boost::asio::any_io_executor executor;  // where pages read from the store come back
    subscribe_snapshot snapshot;
    std::vector<std::shared_ptr<const batch>> held;  // live batches that came meanwhile
    std::vector<model::message> page;  // the page (from the store or memory) being replayed
    std::size_t position = 0;
    std::size_t pinned = 0;         // bytes of `held` and `page` counted against the output
    bool more_in_store = false;     // the last store page was full: read another
    bool memory_replayed = false;   // the hub snapshot's messages are all in the replay
    bool waiting_for_drain = false;
  };
  std::unique_ptr<replay_state> replay_;  // null once live
  bool registered_ = false;
  bool stopped_ = false;
  bool closed_ = false;
};

}  // namespace livechat::fanout
