#pragma once
// Cluster mode's Redis metrics in the Prometheus text format, from the connections' counters
// (SPEC 8: Redis reconnects; and the command latency). Exported only in cluster mode.

#include <span>
#include <string>
#include <string_view>

#include "redis/connection_stats.hpp"

namespace livechat::redis {

/// One of a process's Redis connections, as its metrics label it (`connection="command"`).
struct named_connection {
  std::string_view name;
  const connection_stats& stats;
};

/// Appends `livechat_redis_reconnects_total` and `livechat_redis_connected`, one series per
/// connection of `connections`, and the latency histogram `livechat_redis_command_seconds` of
/// `timed`'s commands to `out`.
void append_redis_metrics(std::string& out, std::span<const named_connection> connections,
                          const connection_stats& timed);

}  // namespace livechat::redis
