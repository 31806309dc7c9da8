#include "bench/bench_report.hpp"

#include <fmt/format.h>

#include <cmath>

namespace livechat::bench {
namespace {

double milliseconds(std::int64_t microseconds) {
  return std::round(static_cast<double>(microseconds) / 10.0) / 100.0;
}

boost::json::value nullable(const std::string& text) {
  if (text.empty()) return nullptr;
  return boost::json::value(text);
}

// Memory the connections added, per connection: (after - before) / made.
std::optional<double> per_connection_bytes(const bench_report& report, bool proportional) {
  if (!report.server_before || !report.server_connected || report.connections.made == 0) {
    return std::nullopt;
  }
  const auto kib = [&](const process_sample& sample) {
    return static_cast<double>(proportional ? sample.pss_kib : sample.rss_kib);
  };
  return (kib(*report.server_connected) - kib(*report.server_before)) * 1024.0 /
         static_cast<double>(report.connections.made);
}

boost::json::value kib_or_null(const std::optional<process_sample>& sample) {
  if (!sample) return nullptr;
  return sample->rss_kib;
}

}  // namespace

boost::json::object to_json(const bench_report& report) {
  const auto& connections = report.connections;
  const auto& deliveries = report.deliveries;
  const auto& latency = deliveries.latency;
  boost::json::object server{
      {"pids", boost::json::array(report.server_pids.begin(), report.server_pids.end())},
      {"rss_before_kib", kib_or_null(report.server_before)},
      {"rss_connected_kib", kib_or_null(report.server_connected)},
      {"rss_end_kib", kib_or_null(report.server_end)},
      {"rss_per_connection_bytes", nullptr},
      {"pss_per_connection_bytes", nullptr},
      {"cpu_seconds", nullptr},
  };
  if (const auto bytes = per_connection_bytes(report, false)) {
    server["rss_per_connection_bytes"] = std::llround(*bytes);
  }
  if (const auto bytes = per_connection_bytes(report, true)) {
    server["pss_per_connection_bytes"] = std::llround(*bytes);
  }
  if (report.server_connected && report.server_end) {
    server["cpu_seconds"] =
        std::round((report.server_end->cpu_seconds - report.server_connected->cpu_seconds) * 100) /
        100;
  }
  return {
      {"label", report.label},
      {"protocol", report.protocol},
      {"publish", report.publish},
      {"connections",
       {{"attempted", connections.attempted},
        {"made", connections.made},
        {"failed", connections.failed},
        {"dropped", deliveries.dropped},
        {"limit", nullable(connections.limit)},
        {"first_failure", nullable(connections.first_failure.empty()
                                       ? deliveries.first_failure
                                       : connections.first_failure)}}},
      {"connect_ms",
       {{"p50", milliseconds(connections.connect_time.percentile(0.5))},
        {"p90", milliseconds(connections.connect_time.percentile(0.9))},
        {"p99", milliseconds(connections.connect_time.percentile(0.99))},
        {"max", milliseconds(connections.connect_time.max())}}},
      {"messages",
       {{"planned", report.published.planned},
        {"acked", report.published.acked},
        {"failed", report.published.failed},
        {"first_failure", nullable(report.published.first_failure)},
        {"offered_per_s", std::round(report.offered_rate * 10) / 10},
        {"achieved_per_s", std::round(report.publish_rate * 10) / 10},
        {"behind_schedule", report.published.behind_schedule()},
        {"lag_p99_ms", milliseconds(report.published.send_lag.percentile(0.99))},
        {"lag_max_ms", milliseconds(report.published.send_lag.max())},
        {"ack_p50_ms", milliseconds(report.published.ack_latency.percentile(0.5))},
        {"ack_p99_ms", milliseconds(report.published.ack_latency.percentile(0.99))}}},
      {"deliveries",
       {{"expected", deliveries.expected},
        {"received", deliveries.received},
        {"missing", deliveries.expected - std::min(deliveries.expected, deliveries.received)},
        {"duplicate", deliveries.duplicate},
        {"unexpected", deliveries.unexpected},
        {"per_second", std::llround(report.deliveries_per_second)}}},
      {"latency_from", report.latency_from},
      {"latency_ms",
       {{"p50", milliseconds(latency.percentile(0.5))},
        {"p90", milliseconds(latency.percentile(0.9))},
        {"p99", milliseconds(latency.percentile(0.99))},
        {"p999", milliseconds(latency.percentile(0.999))},
        {"max", milliseconds(latency.max())}}},
      {"server", std::move(server)},
      {"bench",
       {{"cpu_seconds", std::round(report.bench_cpu_seconds * 100) / 100},
        {"processes", report.processes},
        {"threads", report.threads}}},
      {"duration_s", std::round(report.duration_seconds * 100) / 100},
  };
}

std::string to_text(const bench_report& report) {
  const auto& connections = report.connections;
  const auto& deliveries = report.deliveries;
  const auto& latency = deliveries.latency;
  std::string text;
  auto line = [&text](std::string content) {
    text += content;
    text += '\n';
  };
  line(fmt::format("bench {}: {} subscribers over {}, publishing with {} ({} process(es) x {} "
                   "thread(s))",
                   report.label.empty() ? "run" : report.label, connections.attempted,
                   report.protocol, report.publish, report.processes, report.threads));
  line(fmt::format("connections   made {}  failed {}  dropped {}{}", connections.made,
                   connections.failed, deliveries.dropped,
                   connections.limit.empty() ? "" : "  (stopped by a limit: " + connections.limit + ")"));
  const auto failure = connections.first_failure.empty() ? deliveries.first_failure
                                                         : connections.first_failure;
  if (!failure.empty()) line(fmt::format("              first failure: {}", failure));
  line(fmt::format("connect time  p50 {} ms  p90 {} ms  p99 {} ms  max {} ms",
                   milliseconds(connections.connect_time.percentile(0.5)),
                   milliseconds(connections.connect_time.percentile(0.9)),
                   milliseconds(connections.connect_time.percentile(0.99)),
                   milliseconds(connections.connect_time.max())));
  if (report.published.planned > 0) {
    const auto& published = report.published;
    line(fmt::format("messages      planned {}  acked {}  failed {}  (ack p50 {} ms  p99 {} ms)",
                     published.planned, published.acked, published.failed,
                     milliseconds(published.ack_latency.percentile(0.5)),
                     milliseconds(published.ack_latency.percentile(0.99))));
    line(fmt::format("publisher     offered {:.1f}/s  achieved {:.1f}/s  lag behind schedule p99 {} "
                     "ms  max {} ms{}",
                     report.offered_rate, report.publish_rate,
                     milliseconds(published.send_lag.percentile(0.99)),
                     milliseconds(published.send_lag.max()),
                     published.behind_schedule() ? "  BEHIND SCHEDULE" : ""));
    if (!report.published.first_failure.empty()) {
      line(fmt::format("              first failure: {}", report.published.first_failure));
    }
    line(fmt::format("deliveries    expected {}  received {}  missing {}  duplicate {}  ({:.0f}/s)",
                     deliveries.expected, deliveries.received,
                     deliveries.expected - std::min(deliveries.expected, deliveries.received),
                     deliveries.duplicate, report.deliveries_per_second));
    line(fmt::format("latency       (from {} time) p50 {} ms  p90 {} ms  p99 {} ms  p99.9 {} ms  max {} ms",
                     report.latency_from, milliseconds(latency.percentile(0.5)),
                     milliseconds(latency.percentile(0.9)),
                     milliseconds(latency.percentile(0.99)),
                     milliseconds(latency.percentile(0.999)), milliseconds(latency.max())));
  }
  if (report.server_connected) {
    const auto rss = per_connection_bytes(report, false);
    const auto pss = per_connection_bytes(report, true);
    line(fmt::format("server        RSS {} -> {} KiB ({:.0f} bytes per connection, PSS {:.0f})",
                     report.server_before ? report.server_before->rss_kib : 0,
                     report.server_connected->rss_kib, rss.value_or(0), pss.value_or(0)));
    if (report.server_end) {
      line(fmt::format("              CPU {:.2f} s from the end of the hold to the end of the run",
                       report.server_end->cpu_seconds - report.server_connected->cpu_seconds));
    }
  }
  line(fmt::format("bench         CPU {:.2f} s over {:.2f} s", report.bench_cpu_seconds,
                   report.duration_seconds));
  return text;
}

}  // namespace livechat::bench
