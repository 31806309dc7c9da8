#include "metrics/metrics.hpp"

#include <fmt/format.h>

namespace livechat::metrics {

namespace {

void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, auto value) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name,
                 type, name, value);
}

}  // namespace

void latency_histogram::observe(std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = 0;
  while (bucket < latency_buckets.size() && seconds > latency_buckets[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanoseconds_.fetch_add(static_cast<std::uint64_t>(elapsed.count()), std::memory_order_relaxed);
}

void latency_histogram::render(std::string& out, std::string_view name,
                               std::string_view help) const {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, latency_buckets[i],
                   cumulative);
  }
  cumulative += buckets_.back().load(std::memory_order_relaxed);
  fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n",
                 name, cumulative, name,
                 static_cast<double>(sum_nanoseconds_.load(std::memory_order_relaxed)) / 1e9, name,
                 count_.load(std::memory_order_relaxed));
}

server_metrics& counters() {
  static server_metrics values;
  return values;
}

std::string render_prometheus(const server_metrics& values, std::uint64_t messages_delivered) {
  std::string out;
  out += "# HELP livechat_connections Open connections by transport.\n"
         "# TYPE livechat_connections gauge\n";
  fmt::format_to(std::back_inserter(out),
                 "livechat_connections{{transport=\"http\"}} {}\n"
                 "livechat_connections{{transport=\"sse\"}} {}\n"
                 "livechat_connections{{transport=\"stomp\"}} {}\n",
                 values.http_connections.load(), values.sse_connections.load(),
                 values.stomp_connections.load());
  append_metric(out, "livechat_messages_accepted_total", "counter",
                "Messages kept (acknowledged) by this node.", values.messages_accepted.load());
  append_metric(out, "livechat_messages_delivered_total", "counter",
                "Messages queued to subscribers, counted once per subscriber.", messages_delivered);
  append_metric(out, "livechat_delivery_batches_total", "counter",
                "Per-room batches built (each serialized once).", values.delivery_batches.load());
  append_metric(out, "livechat_slow_consumer_disconnects_total", "counter",
                "Subscribers disconnected for falling behind their output buffer.",
                values.slow_consumer_disconnects.load());
  append_metric(out, "livechat_billing_reports_total", "counter",
                "Usage reports the tenant's billing endpoint accepted.", values.billing_reports.load());
  append_metric(out, "livechat_billing_failures_total", "counter",
                "Usage reports that failed (retried later).", values.billing_failures.load());
  append_metric(out, "livechat_billing_pending_count", "gauge",
                "Delivered messages not yet reported to billing.", values.billing_pending_count.load());
  values.request_latency.render(out, "livechat_http_request_duration_seconds",
                                "REST request latency, from the whole request read to the answer.");
  values.worker_wait.render(out, "livechat_worker_wait_seconds",
                            "REST requests' wait for a worker thread, from the whole request read "
                            "to the start of its handler.");
  // Only where a store commits accepted messages (not a cluster node: Redis keeps them there).
  if (values.commit_duration.observed()) {
    values.commit_duration.render(out, "livechat_commit_duration_seconds",
                                  "Group commits of accepted messages to the store.");
  }
  return out;
}

}  // namespace livechat::metrics
