#pragma once
// One I/O thread's share of fan-out: its listeners by room, and the delivery of each tick's
// batches to them. Everything here runs on that one thread, so nothing is locked.

#include <boost/intrusive/list.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fanout/listener.hpp"
#include "model/string_hash.hpp"
#include "fanout/room_hub.hpp"

namespace livechat::fanout {

class thread_fanout {
 public:
  explicit thread_fanout(std::size_t thread_index) : thread_index_(thread_index) {}

  std::size_t thread_index() const { return thread_index_; }

  /// Starts routing `room`'s batches to `subscriber`. (The caller also subscribes at the hub,
  /// which decides which threads get a room's batches.)
  void add(listener& subscriber);

  /// Stops routing to `subscriber`; also happens when it is destroyed. A listener may remove
  /// itself while it is being delivered to, but no other.
  void remove(listener& subscriber);

  /// Delivers one tick's batches to this thread's listeners, then has every connection that
  /// got something write once.
  void deliver(const batch_list& batches);

  /// Listeners on this thread (for metrics and tests).
  std::size_t listener_count() const;

  /// Messages this thread has queued to subscribers, once per subscriber (any thread may read).
  std::uint64_t messages_delivered() const { return delivered_.load(std::memory_order_relaxed); }

  /// Tracks a streaming connection of this thread until it is destroyed.
  void track(delivery_sink& stream) { streams_.push_back(stream); }

  /// Tells every tracked connection that the server shuts down.
  void shut_down_streams();

 private:
  using listener_list =
      boost::intrusive::list<listener, boost::intrusive::constant_time_size<false>>;


  const std::size_t thread_index_;
  std::unordered_map<std::string, listener_list, model::string_hash, std::equal_to<>> rooms_;
  std::vector<delivery_sink*> sinks_to_flush_;
  boost::intrusive::list<delivery_sink, boost::intrusive::base_hook<stream_hook>,
                         boost::intrusive::constant_time_size<false>>
      streams_;
  // Written by this thread only; its own cache line, so threads never contend on it.
  alignas(64) std::atomic<std::uint64_t> delivered_{0};
  bool delivering_ = false;  // rooms emptied meanwhile are erased after the loop, not during
  std::vector<std::string> emptied_during_delivery_;
};

}  // namespace livechat::fanout
