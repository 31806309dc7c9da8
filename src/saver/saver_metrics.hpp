#pragma once
// The saver's GET /metrics text (Prometheus text format, SPEC.md section 8).

#include <cstdint>
#include <optional>
#include <string>

#include "saver/saver_stats.hpp"

namespace livechat::saver {

/// The Prometheus text of the saver's counters, its Redis reconnects and `lag` (hand-off
/// entries not yet committed, read from Redis just now; left out when Redis did not answer,
/// rather than shown as a number nobody measured).
std::string render_metrics(const saver_stats& stats, std::uint64_t redis_reconnects,
                           std::optional<std::uint64_t> lag);

}  // namespace livechat::saver
