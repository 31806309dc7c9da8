#pragma once
// One I/O thread's share of fan-out: its listeners by room, and the delivery of each tick's
// batches to them. Everything here runs on that one thread, so nothing is locked.
//
// A delivery pass has two halves. First every listener queues its share of the batches, which
// costs a few nanoseconds each; then every connection that got something writes once, a
// system call each. Given the thread's executor, the writes go in slices, each slice a handler
// of its own, so that requests, accepts and reads of the same thread are served between slices
// instead of waiting for thousands of writes; a pass that arrives meanwhile queues its batches
// and joins the writes still to be made, so a connection still writes once.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <chrono>
#include <optional>

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
  /// Writes `flush_slice` connections per handler on `executor`. Without an executor every
  /// write of a pass is made before deliver() returns (tests, micro-benchmarks).
  explicit thread_fanout(std::size_t thread_index, boost::asio::any_io_executor executor = {},
                         std::size_t flush_slice = default_flush_slice)
      : thread_index_(thread_index), executor_(std::move(executor)), flush_slice_(flush_slice) {}

  // 32 writes take a few hundred microseconds: a request arriving meanwhile waits no longer
  // than that for its turn (a publish's acknowledgement crosses the thread twice).
  static constexpr std::size_t default_flush_slice = 32;

  std::size_t thread_index() const { return thread_index_; }

  /// Starts routing `room`'s batches to `subscriber`. (The caller also subscribes at the hub,
  /// which decides which threads get a room's batches.)
  void add(listener& subscriber);

  /// Stops routing to `subscriber`; also happens when it is destroyed. A listener may remove
  /// itself while it is being delivered to, but no other.
  void remove(listener& subscriber);

  /// Delivers batches (a tick's, or those of several ticks in order) to this thread's
  /// listeners, then has every connection that got something write once.
  void deliver(const batch_list& batches);

  /// Connections queued for their write and not yet written (for tests).
  std::size_t flushes_pending() const;

  /// Listeners on this thread (for metrics and tests).
  std::size_t listener_count() const;

  /// Messages this thread has queued to subscribers, once per subscriber (any thread may read).
  std::uint64_t messages_delivered() const { return delivered_.load(std::memory_order_relaxed); }

  /// Calls on_housekeeping() of every tracked connection every `interval`, from now until
  /// the thread's context stops. Needs the executor.
  void start_housekeeping(std::chrono::milliseconds interval);

  /// Destroys the sweep's timer. Call once the thread has stopped, before its io_context is
  /// destroyed (the timer cannot outlive the context's timer service).
  void stop_housekeeping() { housekeeping_timer_.reset(); }

  /// Tracks a streaming connection of this thread until it is destroyed.
  void track(delivery_sink& stream) { streams_.push_back(stream); }

  /// Makes every pending write, then tells every tracked connection that the server shuts
  /// down.
  void shut_down_streams();

 private:
  using listener_list =
      boost::intrusive::list<listener, boost::intrusive::constant_time_size<false>>;

  // Writes up to `limit` pending connections; posts the rest when there is an executor.
  void flush_pending(std::size_t limit);
  void schedule_housekeeping(std::chrono::milliseconds interval);

  const std::size_t thread_index_;
  std::unordered_map<std::string, listener_list, model::string_hash, std::equal_to<>> rooms_;
  boost::asio::any_io_executor executor_;
  const std::size_t flush_slice_;
  boost::intrusive::list<delivery_sink, boost::intrusive::base_hook<flush_hook>,
                         boost::intrusive::constant_time_size<false>>
      to_flush_;
  bool flush_posted_ = false;
  std::optional<boost::asio::steady_timer> housekeeping_timer_;
  boost::intrusive::list<delivery_sink, boost::intrusive::base_hook<stream_hook>,
                         boost::intrusive::constant_time_size<false>>
      streams_;
  // Written by this thread only; its own cache line, so threads never contend on it.
  alignas(64) std::atomic<std::uint64_t> delivered_{0};
  bool delivering_ = false;  // rooms emptied meanwhile are erased after the loop, not during
  std::vector<std::string> emptied_during_delivery_;
};

}  // namespace livechat::fanout
