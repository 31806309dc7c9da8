#include "redis/stats_text.hpp"

#include <fmt/format.h>

namespace livechat::redis {

void append_redis_metrics(std::string& out, std::span<const named_connection> connections,
                          const connection_stats& timed) {
  constexpr auto relaxed = std::memory_order_relaxed;
  auto to = std::back_inserter(out);
  fmt::format_to(to,
                 "# HELP livechat_redis_reconnects_total Connections to Redis made again after a "
                 "drop or a failed attempt.\n# TYPE livechat_redis_reconnects_total counter\n");
  for (const named_connection& connection : connections) {
    fmt::format_to(to, "livechat_redis_reconnects_total{{connection=\"{}\"}} {}\n", connection.name,
                   connection.stats.reconnects.load(relaxed));
  }
  fmt::format_to(to,
                 "# HELP livechat_redis_connected 1 while the connection to Redis is up.\n"
                 "# TYPE livechat_redis_connected gauge\n");
  for (const named_connection& connection : connections) {
    fmt::format_to(to, "livechat_redis_connected{{connection=\"{}\"}} {}\n", connection.name,
                   connection.stats.connected.load(relaxed) ? 1 : 0);
  }
  // The stats keep one count per bucket; Prometheus wants them cumulative.
  fmt::format_to(to,
                 "# HELP livechat_redis_command_seconds Time from sending a command to Redis to "
                 "its reply.\n# TYPE livechat_redis_command_seconds histogram\n");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < connection_stats::latency_bounds_us.size(); ++i) {
    cumulative += timed.latency_buckets[i].load(relaxed);
    fmt::format_to(to, "livechat_redis_command_seconds_bucket{{le=\"{}\"}} {}\n",
                   static_cast<double>(connection_stats::latency_bounds_us[i]) / 1e6, cumulative);
  }
  cumulative += timed.latency_buckets.back().load(relaxed);
  fmt::format_to(to, "livechat_redis_command_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  fmt::format_to(to, "livechat_redis_command_seconds_sum {}\n",
                 static_cast<double>(timed.latency_sum_us.load(relaxed)) / 1e6);
  fmt::format_to(to, "livechat_redis_command_seconds_count {}\n", cumulative);
}

}  // namespace livechat::redis
