#pragma once
// Cluster mode's Redis metrics in the Prometheus text format, from the connections' counters
// (SPEC 8: Redis reconnects; and the command latency). Exported only in cluster mode.

#include <string>

#include "redis/connection_stats.hpp"

namespace livechat::redis {

/// Appends `livechat_redis_reconnects_total` (both connections), `livechat_redis_connected`
/// and the command connection's latency histogram `livechat_redis_command_seconds` to `out`.
void append_redis_metrics(std::string& out, const connection_stats& commands,
                          const connection_stats& subscriber);

}  // namespace livechat::redis
