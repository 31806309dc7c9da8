#pragma once
// The saver's metrics in the Prometheus text format (SPEC.md section 8): the whole GET /metrics
// text of `livechat saver`, and the pieces a node adds to its own /metrics (every cluster node
// shows the lag; a node that runs `--with-saver` shows that saver's counters too).

#include <cstdint>
#include <optional>
#include <string>

#include "saver/saver_stats.hpp"

namespace livechat::saver {

/// Appends `livechat_saver_lag`: hand-off entries not yet committed to the database, read from
/// Redis just now. Nothing when `lag` is nullopt (Redis did not answer): no figure is better
/// than one nobody measured.
void append_lag(std::string& out, std::optional<std::uint64_t> lag);

/// Appends the saver's counters: messages saved, batches, entries claimed, unreadable entries,
/// failures.
void append_counters(std::string& out, const saver_stats& stats);

/// The whole text of `livechat saver`'s /metrics: its lag, its counters and its Redis
/// reconnects (`livechat_redis_reconnects_total`, over its connections).
std::string render_metrics(const saver_stats& stats, std::uint64_t redis_reconnects,
                           std::optional<std::uint64_t> lag);

}  // namespace livechat::saver
