#pragma once
// Caps on streaming connections that a live stream needs: listeners per session
// (MAX_VIEWERS_PER_SESSION) and SSE/WebSocket connections per client address
// (MAX_STREAMS_PER_IP). A place is held by a move-only ticket and given back when the ticket
// is destroyed. Thread-safe.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace livechat::sessions {

class stream_limits {
 public:
  /// 0 for either means no limit.
  stream_limits(std::size_t per_session, std::size_t per_address);

  /// Holds one place; gives it back when destroyed.
  class ticket {
   public:
    ticket(stream_limits* limits, bool per_session, std::string key);
    ticket(ticket&& other) noexcept;
    ticket& operator=(ticket&&) = delete;
    ticket(const ticket&) = delete;
    ~ticket();

    /// False when no limit applies: the ticket holds no place and need not be kept.
    bool held() const { return limits_ != nullptr; }

   private:
    stream_limits* limits_;
    bool per_session_;
    std::string key_;
  };

  /// A place for one more stream from `address`. RATE_LIMITED (429) when it has its share.
  ticket admit_address(std::string_view address);

  /// A place for one more listener of `session_id`. UNAVAILABLE (503) when it is full.
  ticket admit_viewer(std::string_view session_id);

 private:
  void release(bool per_session, const std::string& key);

  const std::size_t per_session_;
  const std::size_t per_address_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> viewers_;
  std::unordered_map<std::string, std::size_t> streams_;
};

}  // namespace livechat::sessions
