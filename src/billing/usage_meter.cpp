#include "billing/usage_meter.hpp"

#include <cassert>

#include "metrics/metrics.hpp"

namespace livechat::billing {
namespace {

void adjust_gauge(std::int64_t delta) {
  metrics::counters().billing_pending_count.fetch_add(delta, std::memory_order_relaxed);
}

}  // namespace

usage_meter::~usage_meter() { adjust_gauge(-static_cast<std::int64_t>(unreported_)); }

void usage_meter::add_to(count_map& counts, std::string_view session_id, std::uint64_t count) {
  // find() first: the session is usually known already, and then no key string is built.
  const auto found = counts.find(session_id);
  if (found != counts.end()) {
    found->second += count;
  } else {
    counts.emplace(std::string(session_id), count);
  }
}

void usage_meter::record(std::string_view session_id, std::uint64_t delivered) {
  if (delivered == 0) return;
  {
    std::scoped_lock lock{mutex_};
    add_to(pending_, session_id, delivered);
    unreported_ += delivered;
  }
  adjust_gauge(static_cast<std::int64_t>(delivered));
}

std::vector<usage> usage_meter::take_pending() {
  std::scoped_lock lock{mutex_};
  std::vector<usage> taken;
  taken.reserve(pending_.size());
  for (auto& [session_id, count] : pending_) {
    add_to(in_flight_, session_id, count);
    taken.push_back(usage{session_id, count});
  }
  // Sessions come and go: an empty map keeps no memory for the ones that ended.
  pending_.clear();
  return taken;
}

void usage_meter::settle(const usage& report, bool accepted) {
  if (report.count == 0) return;
  {
    std::scoped_lock lock{mutex_};
    const auto found = in_flight_.find(report.session_id);
    // Settling what was not taken would invent or destroy counts.
    const bool in_flight = found != in_flight_.end() && found->second >= report.count;
    assert(in_flight);
    if (!in_flight) return;
    found->second -= report.count;
    if (found->second == 0) in_flight_.erase(found);
    if (!accepted) {
      add_to(pending_, report.session_id, report.count);
      return;
    }
    unreported_ -= report.count;
  }
  adjust_gauge(-static_cast<std::int64_t>(report.count));
}

std::uint64_t usage_meter::unreported() const {
  std::scoped_lock lock{mutex_};
  return unreported_;
}

std::uint64_t usage_meter::pending_for(std::string_view session_id) const {
  std::scoped_lock lock{mutex_};
  const auto found = pending_.find(session_id);
  return found == pending_.end() ? 0 : found->second;
}

}  // namespace livechat::billing
