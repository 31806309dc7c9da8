#include "fanout/subscription_cursor.hpp"

#include <algorithm>

namespace livechat::fanout {

subscription_cursor::plan subscription_cursor::examine(const batch& delivered) const {
  plan result;
  // Raw messages have no id: they are new to every subscriber, and tell nothing of gaps.
  const std::int64_t first = delivered.first_id();
  if (first == 0 || !strict_) return result;
  if (first > last_seen_ + 1) {
    result.gap_after = last_seen_;
    result.gap_up_to = first - 1;
    return result;
  }
  const std::int64_t already_seen = std::max<std::int64_t>(0, last_seen_ - first + 1);
  result.skip = static_cast<std::size_t>(
      std::min<std::int64_t>(already_seen, static_cast<std::int64_t>(delivered.id_count())));
  return result;
}

void subscription_cursor::advance(std::int64_t id) {
  strict_ = true;
  last_seen_ = std::max(last_seen_, id);
}

}  // namespace livechat::fanout
