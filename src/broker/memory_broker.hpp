#pragma once
// The broker of embedded mode: one node, the store (SQLite) as the durable log, the room hub
// as the bus. One writer thread group-commits: every publish waiting when it wakes goes into
// one transaction, so a burst costs one disk sync rather than one per message.
//
// Closes, exits and joins go through the same queue, and the writer applies them in queue
// order: a publish queued after a close of its room or an exit of its sender is refused
// (`closed`, `sender_left`) even when the caller's store check came before them.

#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "broker/broker.hpp"
#include "broker/message_sink.hpp"
#include "broker/refusal_window.hpp"
#include "store/store.hpp"

namespace livechat::broker {

class memory_broker final : public broker {
 public:
  /// Hands what it kept to `hub` (this node's fan-out).
  memory_broker(store::store& store, message_sink& hub);
  ~memory_broker() override;

  void publish(std::vector<model::message> messages, publish_callback done) override;
  void close(const std::string& room_id) override;
  /// Through the writer, like close: the member's streams end after what was kept before.
  void left(const std::string& room_id, const std::string& user_id) override;
  /// Through the writer: publishes queued after it are taken again.
  void joined(const std::string& room_id, const std::string& user_id) override;
  /// One node: the hub hears every room already.
  void subscribe(const std::string&) override {}
  void unsubscribe(const std::string&) override {}
  /// The store answers for itself on /readyz; the writer is always there.
  bool healthy() const override { return true; }
  std::vector<model::message> history_after(const std::string& room_id, std::int64_t after_id,
                                            std::int64_t limit) override;
  std::vector<model::message> history_before(const std::string& room_id, std::int64_t before_id,
                                             std::int64_t limit) override;
  void stop() override;

 private:
  // One item of the writer's queue: a publish, or a close, exit or join of `room_id`.
  enum class event { publish, close, left, joined };
  struct pending {
    event kind = event::publish;
    std::vector<model::message> messages{};         // publish
    publish_callback done{};                        // publish
    publish_status outcome = publish_status::kept;  // publish: set by the writer
    std::string room_id{};                          // close, left, joined
    std::string user_id{};                          // left, joined
  };

  void enqueue_event(event kind, const std::string& room_id, const std::string& user_id);
  void run_writer();
  // Applies the group's events to refusals_ and decides each publish's refusal, in queue order.
  void apply_in_order(std::vector<pending>& group);
  // refusals_' verdict on a publish; an exit the store no longer holds (the sender joined
  // again, its `joined` not applied yet) does not refuse.
  publish_status refusal_of(const pending& publish);
  void commit(std::vector<pending>& group);
  // Hands an item to the hub and its caller once its commit is over (`committed` false: failed).
  void deliver(pending& item, bool committed);

  // Rooms whose last id is cached; past this the cache starts again from the store.
  static constexpr std::size_t last_ids_limit = 16 * 1024;
  // Closes and exits remembered for publishes checked before them (refusal_window).
  static constexpr std::size_t refusals_limit = 16 * 1024;

  store::store& store_;
  message_sink& hub_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<pending> queue_;
  bool stopping_ = false;

  // Writer thread only: each room's last id, read from the store on first use. A cache: it is
  // emptied when it passes last_ids_limit, so that it holds the rooms written lately rather
  // than every room ever written to.
  std::unordered_map<std::string, std::int64_t> last_ids_;
  // Writer thread only.
  refusal_window refusals_{refusals_limit};
  std::thread writer_;
};

}  // namespace livechat::broker
