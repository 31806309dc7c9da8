#pragma once
// The server's counters, for GET /metrics (Prometheus text format, SPEC.md section 8).
//
// Process-wide, like a Prometheus client's default registry: any subsystem counts without
// being handed a registry. Counters that the delivery hot path bumps live per I/O thread (in
// thread_fanout) and are summed when scraped; those here are bumped at most once per request,
// message or connection. A metric is exported only once something measures it: cluster
// mode's (Redis reconnects, saver lag) arrive with cluster mode, not as constant zeros before.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace livechat::metrics {

/// Request latency buckets, in seconds (upper bounds; +Inf is implicit).
inline constexpr std::array<double, 12> latency_buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

class latency_histogram {
 public:
  void observe(std::chrono::nanoseconds elapsed);

  /// True once something was observed.
  bool observed() const { return count_.load(std::memory_order_relaxed) > 0; }

  /// Appends the histogram's lines under `name` to `out`.
  void render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::array<std::atomic<std::uint64_t>, latency_buckets.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_nanoseconds_{0};
};

struct server_metrics {
  std::atomic<std::int64_t> http_connections{0};   // open, before any upgrade
  std::atomic<std::int64_t> sse_connections{0};
  std::atomic<std::int64_t> stomp_connections{0};
  std::atomic<std::uint64_t> messages_accepted{0};  // kept by the broker
  std::atomic<std::uint64_t> delivery_batches{0};   // batches built by the hub
  std::atomic<std::uint64_t> slow_consumer_disconnects{0};
  std::atomic<std::uint64_t> billing_reports{0};
  std::atomic<std::uint64_t> billing_failures{0};
  std::atomic<std::int64_t> billing_pending_count{0};
  latency_histogram request_latency;
  // Where a REST request's time goes under load: waiting for a worker thread, and (for a
  // message) the store's group commit that its acknowledgement waits for.
  latency_histogram worker_wait;
  latency_histogram commit_duration;
};

/// The process's metrics.
server_metrics& counters();

/// Adds one to a gauge for as long as it lives (an open connection).
class gauge_hold {
 public:
  explicit gauge_hold(std::atomic<std::int64_t>& gauge) : gauge_(gauge) {
    gauge_.fetch_add(1, std::memory_order_relaxed);
  }
  ~gauge_hold() { gauge_.fetch_sub(1, std::memory_order_relaxed); }
  gauge_hold(const gauge_hold&) = delete;
  gauge_hold& operator=(const gauge_hold&) = delete;

 private:
  std::atomic<std::int64_t>& gauge_;
};

/// The Prometheus text of `values`, with `messages_delivered` (summed over the I/O threads)
/// added by the caller that knows them.
std::string render_prometheus(const server_metrics& values, std::uint64_t messages_delivered);

}  // namespace livechat::metrics
