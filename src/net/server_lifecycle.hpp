#pragma once
// Shared by every connection: whether the server is draining for shutdown, and how many
// requests are still being answered, so that SIGTERM can wait for them and no longer.

#include <atomic>
#include <cstddef>

namespace livechat::net {

class server_lifecycle {
 public:
  /// From now on connections finish what they are answering and then close.
  void begin_draining() { draining_.store(true, std::memory_order_relaxed); }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

  void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  std::size_t requests_in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace livechat::net
