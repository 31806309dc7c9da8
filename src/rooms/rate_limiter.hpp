#pragma once
// Messages a user may send per room (RATE_LIMIT_PER_S, RATE_LIMIT_BURST): a token bucket per
// (user, room), refilled continuously. Thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace livechat::rooms {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  rate_limiter(std::uint32_t per_second, std::uint32_t burst);

  /// Takes `count` tokens from the bucket of (user, room) if it has them; false (taking
  /// nothing) when the user must wait.
  bool try_acquire(std::string_view user_id, std::string_view room_id, std::uint32_t count = 1,
                   clock::time_point now = clock::now());

  /// Buckets held in memory (for tests and metrics): refilled ones are forgotten by a sweep
  /// once a minute.
  std::size_t bucket_count() const;

 private:
  struct bucket {
    double tokens;
    clock::time_point updated;
  };

  void forget_full_buckets(clock::time_point now);  // under mutex_

  const double per_second_;
  const double burst_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
  clock::time_point last_sweep_{};
};

}  // namespace livechat::rooms
