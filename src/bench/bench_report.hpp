#pragma once
// The result of a bench run, and its two renderings: text for people, JSON for scripts
// (bench/compare.sh). docs/bench.md says what each figure means.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/latency_histogram.hpp"
#include "bench/process_probe.hpp"
#include "bench/publisher.hpp"
#include "bench/subscriber_shard.hpp"

namespace livechat::bench {

struct bench_report {
  std::string label;
  std::string protocol;
  std::string publish;
  std::string latency_from;  // "due" or "sent" (--latency-from)
  std::size_t processes = 0;
  std::size_t threads = 0;

  connect_report connections;
  publish_report published;
  delivery_report deliveries;
  double deliveries_per_second = 0;  // received / (last delivery - first send)
  double offered_rate = 0;           // messages per second the schedule asked for (--rate)
  double publish_rate = 0;           // messages sent per second: publish_report::achieved_rate

  std::vector<int> server_pids;
  std::optional<process_sample> server_before;     // before the first connection
  std::optional<process_sample> server_connected;  // every subscriber in, after the hold
  std::optional<process_sample> server_end;        // after the last delivery
  double bench_cpu_seconds = 0;
  double duration_seconds = 0;
};

boost::json::object to_json(const bench_report& report);
std::string to_text(const bench_report& report);

}  // namespace livechat::bench
