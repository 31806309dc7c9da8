#include "rooms/rate_limiter.hpp"

#include <algorithm>

namespace livechat::rooms {

namespace {
constexpr auto sweep_interval = std::chrono::seconds(60);
}

rate_limiter::rate_limiter(std::uint32_t per_second, std::uint32_t burst)
    : per_second_(per_second), burst_(burst) {}

bool rate_limiter::try_acquire(std::string_view user_id, std::string_view room_id,
                               std::uint32_t count, clock::time_point now) {
  std::string key;
  key.reserve(user_id.size() + room_id.size() + 1);
  key.append(user_id).push_back('\n');  // user ids never contain a line break
  key.append(room_id);

  std::scoped_lock lock{mutex_};
  if (now - last_sweep_ > sweep_interval) forget_full_buckets(now);
  auto [found, inserted] = buckets_.try_emplace(std::move(key), bucket{burst_, now});
  bucket& state = found->second;
  const std::chrono::duration<double> elapsed = now - state.updated;
  state.tokens = std::min(burst_, state.tokens + elapsed.count() * per_second_);
  state.updated = now;
  if (state.tokens < count) return false;
  state.tokens -= count;
  return true;
}

std::size_t rate_limiter::bucket_count() const {
  std::scoped_lock lock{mutex_};
  return buckets_.size();
}

void rate_limiter::forget_full_buckets(clock::time_point now) {
  // A bucket that has refilled is the same as no bucket: dropping it bounds memory.
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& entry) {
    const std::chrono::duration<double> elapsed = now - entry.second.updated;
    return entry.second.tokens + elapsed.count() * per_second_ >= burst_;
  });
}

}  // namespace livechat::rooms
