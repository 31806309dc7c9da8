#pragma once
// The broker of cluster mode: Redis keeps each room's sequence, recent history and the saver's
// hand-off (docs/redis.md: the key layout and the Lua scripts), and carries messages and
// control events between nodes on each room's channel (docs/cluster.md).
//
// * Publish: the `publish` script gives the ids, keeps the messages and publishes them, in one
//   atomic step; the sender is answered from its reply. A dropped connection with the script in
//   flight answers `unavailable`: its outcome is not known, so it is never acknowledged.
// * Listen: the hub's first listener of a room makes this node read the room's sequence,
//   subscribe to its channel, then read the history stream from a little below that sequence:
//   what was kept before goes to the sink as memory (`recall`), what came after as live
//   messages, then the channel takes over. Ids are delivered in order, each once (dedup by id).
// * Reconnect: after the subscriber connection comes back (its channels restored), every
//   listened room is read again from the history stream after its last delivered id, before
//   anything newer from the channel (held meanwhile) is delivered.
// * Chat Sync's `<sessionId>_END` channels are heard for the node's whole life
//   (`PSUBSCRIBE *_END`): the node records the end with the `control` script (once in the
//   cluster) and the store, and the session's listeners everywhere get `closed`.
// * Chat Sync's raw `<sessionId>` channel is subscribed with the room's own channel (for every
//   listened room: the broker is not told which ids are sessions): a payload published there
//   is mapped (chat_sync_payload.hpp), numbered, and handed to the sink in the order received,
//   with no id; an unreadable or oversized one is dropped, logged and counted.
//
// Threads: one thread of its own runs both Redis connections (no blocking call on it, except
// the store write of a raw session end, which is rare). Every public function may be called
// from any thread; they post to that thread. `history_*` wait for Redis's answer.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/broker.hpp"
#include "broker/message_sink.hpp"
#include "broker/redis_wire.hpp"
#include "model/fail_count.hpp"
#include "model/string_hash.hpp"
#include "redis/command_client.hpp"
#include "redis/redis_config.hpp"
#include "redis/subscriber.hpp"
#include "store/store.hpp"

namespace livechat::broker {

class redis_broker final : public broker {
 public:
  /// Connects to `config`'s Redis (and keeps reconnecting); `history_size` is HISTORY_SIZE,
  /// `max_message_length` MAX_MESSAGE_LENGTH (for raw payloads), `store` the shared database
  /// (history below what Redis holds; raw session ends).
  redis_broker(redis::redis_config config, std::size_t history_size,
               std::size_t max_message_length, store::store& store, message_sink& sink);
  ~redis_broker() override;

  void publish(std::vector<model::message> messages, publish_callback done) override;
  void close(const std::string& room_id) override;
  void left(const std::string& room_id, const std::string& user_id) override;
  void joined(const std::string& room_id, const std::string& user_id) override;
  void subscribe(const std::string& room_id) override;
  void unsubscribe(const std::string& room_id) override;
  /// Both connections are up.
  bool healthy() const override;
  std::vector<model::message> history_after(const std::string& room_id, std::int64_t after_id,
                                            std::int64_t limit) override;
  std::vector<model::message> history_before(const std::string& room_id, std::int64_t before_id,
                                             std::int64_t limit) override;
  /// Lets publishes in flight be answered (up to a grace period), then ends every delivery to
  /// the sink and closes the subscriber connection. The command connection stays open, for
  /// the cluster bookkeeping still to do on it (billing's last claims), until close_connections.
  void stop() override;

  /// stop(), then closes the command connection and ends the broker's thread. The destructor
  /// calls it; a second call does nothing.
  void close_connections();

  /// The command and subscriber connections' counters (any thread), for /metrics.
  const redis::connection_stats& command_stats() const { return commands_->stats(); }
  const redis::connection_stats& subscriber_stats() const { return subscriber_->stats(); }

  /// The command connection (use it on its executor), for cluster-wide bookkeeping that rides
  /// on it: billing's claims (billing/usage_claims.hpp).
  std::shared_ptr<redis::command_client> commands() const { return commands_; }

  /// Failure injection for tests: makes the n-th command on the command connection fail as
  /// if Redis were away (command_client.hpp). The subscriber connection is not armed. Any thread.
  model::fail_count& command_failures() { return commands_->failures(); }

  /// Raw Chat Sync payloads handed to the sink, and those dropped as unreadable or too large
  /// (any thread), for /metrics.
  std::uint64_t raw_messages() const { return raw_messages_.load(std::memory_order_relaxed); }
  std::uint64_t raw_dropped() const { return raw_dropped_.load(std::memory_order_relaxed); }

  /// The saver lag (hand-off entries not yet in the database), read on the command connection
  /// for /metrics; `done` runs once, on the broker's thread, with nullopt when Redis did not
  /// answer (at once, on the caller's thread, once the broker is stopping). Any thread.
  void read_saver_lag(std::function<void(std::optional<std::uint64_t>)> done);

 private:
  // A room this node listens to. Broker thread only.
  struct room_feed {
    std::string room_id;
    std::int64_t baseline = -1;  // the room's sequence when the first listener came (-1: unread)
    std::int64_t last_id = -1;   // the last message handed to the sink (-1: none yet)
    bool syncing = true;         // reading history: channel entries wait in `held`
    bool needs_sync = false;     // a read failed: try again on the resync timer
    std::vector<room_entry> held;
  };
  using feed_ptr = std::shared_ptr<room_feed>;

  struct control_request {
    std::string kind;
    std::string room_id;
    std::string user_id;
  };

  bool current(const feed_ptr& feed) const;
  void start_feed(const feed_ptr& feed);
  void sync(const feed_ptr& feed);
  void read_history(const feed_ptr& feed);
  void on_history(const feed_ptr& feed, std::vector<room_entry> entries);
  void sync_failed(const feed_ptr& feed);
  void resync_all();
  void arm_retry();
  void deliver(room_feed& feed, std::vector<room_entry>& entries);
  void on_channel(std::string_view channel, std::string_view payload, std::string_view pattern);
  void on_raw(const feed_ptr& feed, std::string_view payload);
  void send_control(control_request request);
  void resend_controls();  // the control events Redis did not take, once more
  // stop()'s wait for the publishes in flight; `quiet` is set once deliveries have ended.
  void wait_in_flight(std::chrono::steady_clock::time_point deadline,
                      const std::shared_ptr<std::promise<void>>& quiet);
  // Runs `command` on the broker thread and waits for its reply (worker threads only).
  redis::reply query(std::vector<std::string> command);
  std::vector<model::message> redis_messages(const std::string& room_id, std::vector<std::string> range);

  const std::size_t history_size_;
  const std::size_t max_message_length_;
  store::store& store_;
  message_sink& sink_;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<redis::command_client> commands_;
  std::shared_ptr<redis::subscriber> subscriber_;
  boost::asio::steady_timer retry_timer_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> raw_messages_{0};
  std::atomic<std::uint64_t> raw_dropped_{0};

  // Broker thread only.
  std::unordered_map<std::string, feed_ptr, model::string_hash, std::equal_to<>> feeds_;
  std::vector<control_request> failed_controls_;  // sent again on the retry timer
  bool retry_armed_ = false;
  std::int64_t raw_numbered_ = 0;  // raw messages numbered so far (their STOMP `raw-n`)

  std::thread thread_;
};

}  // namespace livechat::broker
