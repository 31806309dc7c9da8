#pragma once
// The broker of embedded mode: one node, the store (SQLite) as the durable log, the room hub
// as the bus. One writer thread group-commits: every publish waiting when it wakes goes into
// one transaction, so a burst costs one disk sync rather than one per message.

#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "broker/broker.hpp"
#include "broker/message_sink.hpp"
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
  /// One node: a message's sender is checked against the store when it is sent.
  void joined(const std::string&, const std::string&) override {}
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
  struct pending_publish {
    std::vector<model::message> messages;
    publish_callback done;
  };

  void run_writer();
  void commit(std::vector<pending_publish>& group);

  // Rooms whose last id is cached; past this the cache starts again from the store.
  static constexpr std::size_t last_ids_limit = 16 * 1024;

  store::store& store_;
  message_sink& hub_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<pending_publish> queue_;
  bool stopping_ = false;

  // Writer thread only: each room's last id, read from the store on first use. A cache: it is
  // emptied when it passes last_ids_limit, so that it holds the rooms written lately rather
  // than every room ever written to.
  std::unordered_map<std::string, std::int64_t> last_ids_;
  std::thread writer_;
};

}  // namespace livechat::broker
