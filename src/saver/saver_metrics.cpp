#include "saver/saver_metrics.hpp"

#include <fmt/format.h>

#include <iterator>
#include <string_view>

namespace livechat::saver {

namespace {

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name,
                 type, name, value);
}

std::uint64_t load(const std::atomic<std::uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

}  // namespace

void append_lag(std::string& out, std::optional<std::uint64_t> lag) {
  if (!lag) return;
  metric(out, "livechat_saver_lag", "gauge",
         "Hand-off entries not yet committed to the database (XLEN of the hand-off streams).",
         *lag);
}

void append_counters(std::string& out, const saver_stats& stats) {
  metric(out, "livechat_saver_messages_saved_total", "counter",
         "Hand-off entries stored in the database and acknowledged.", load(stats.messages_saved));
  metric(out, "livechat_saver_batches_total", "counter",
         "Batches stored in the database and acknowledged.", load(stats.batches));
  metric(out, "livechat_saver_entries_claimed_total", "counter",
         "Pending entries taken over from another saver (XAUTOCLAIM).", load(stats.entries_claimed));
  metric(out, "livechat_saver_unreadable_entries_total", "counter",
         "Hand-off entries acknowledged without a readable message.", load(stats.unreadable_entries));
  metric(out, "livechat_saver_failures_total", "counter",
         "Rounds abandoned and retried because Redis or the database failed.", load(stats.failures));
}

std::string render_metrics(const saver_stats& stats, std::uint64_t redis_reconnects,
                           std::optional<std::uint64_t> lag) {
  std::string out;
  append_lag(out, lag);
  append_counters(out, stats);
  metric(out, "livechat_redis_reconnects_total", "counter",
         "Connections to Redis made again after a drop or a failed attempt.", redis_reconnects);
  return out;
}

}  // namespace livechat::saver
