#include "redis/connection_stats.hpp"

#include <algorithm>

namespace livechat::redis {

void connection_stats::record_latency(std::chrono::steady_clock::duration latency) {
  auto micros = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
  latency_sum_us.fetch_add(micros, std::memory_order_relaxed);
  auto bucket = std::lower_bound(latency_bounds_us.begin(), latency_bounds_us.end(), micros) -
                latency_bounds_us.begin();
  latency_buckets[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace livechat::redis
