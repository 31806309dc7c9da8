#pragma once
// Caps on streaming connections: listeners per session (MAX_VIEWERS_PER_SESSION, counted with
// no limit too), SSE/WebSocket
// connections per client address (MAX_STREAMS_PER_IP) and on the whole node (MAX_STREAMS). A
// place is held by a move-only ticket and given back when the ticket is destroyed.
// Thread-safe.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "model/string_hash.hpp"

namespace livechat::sessions {

class stream_limits {
 public:
  /// 0 for `per_session` or `per_address` means no limit; `per_node` is always a limit.
  stream_limits(std::size_t per_session, std::size_t per_address, std::size_t per_node);

  /// Which cap a ticket holds a place under.
  enum class cap { viewer, address, node };

  /// Holds one place; gives it back when destroyed.
  class ticket {
   public:
    ticket(stream_limits* limits, cap kind, std::string key);
    ticket(ticket&& other) noexcept;
    ticket& operator=(ticket&&) = delete;
    ticket(const ticket&) = delete;
    ~ticket();

    /// False when no limit applies: the ticket holds no place and need not be kept.
    bool held() const { return limits_ != nullptr; }

   private:
    stream_limits* limits_;
    cap kind_;
    std::string key_;
  };

  /// A place for one more stream from `address`. RATE_LIMITED (429) when it has its share.
  ticket admit_address(std::string_view address);

  /// A place for one more listener of `session_id`. UNAVAILABLE (503) when it is full.
  /// Listeners are counted with no limit too: has_viewers() reads the count.
  ticket admit_viewer(std::string_view session_id);

  /// True while `session_id` has a listener on this node (usage reporting counts only
  /// sessions). Nothing is kept for a session once its last listener is gone.
  bool has_viewers(std::string_view session_id) const;

  /// A place for one more streaming connection on this node. UNAVAILABLE (503) when it holds
  /// `per_node` already: the caller answers at once and closes, it never waits for a place.
  ticket admit_stream();

  /// Streaming connections holding a place now.
  std::size_t streams() const { return node_streams_.load(std::memory_order_relaxed); }

 private:
  void release(cap kind, const std::string& key);

  const std::size_t per_session_;
  const std::size_t per_address_;
  const std::size_t per_node_;
  std::atomic<std::size_t> node_streams_{0};
  using counts = std::unordered_map<std::string, std::size_t, model::string_hash, std::equal_to<>>;
  mutable std::mutex mutex_;
  counts viewers_;
  counts streams_;
};

}  // namespace livechat::sessions
