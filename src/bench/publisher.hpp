#pragma once
// The bench's publisher: sends the run's messages at the planned rate, each carrying its
// sequence number and its due time (delivery_marker.hpp; or its send time, --latency-from sent),
// and records which the server acknowledged and how far the sending fell behind the schedule.
// The schedule is open: message i is due at start + i / rate whatever the server's answers, and
// latency counts from then, so a slow server cannot slow the publisher down and hide the wait
// (coordinated omission). Over HTTP (livechat's tenant or REST API, or a peer's POST endpoint) it keeps a
// few keep-alive connections and sends each message on one that is free; over STOMP it sends on
// one WebSocket and counts the RECEIPTs.

#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/latency_histogram.hpp"

namespace livechat::bench {

struct publish_report {
  std::size_t planned = 0;
  std::size_t acked = 0;    // 2xx, or RECEIPT
  std::size_t failed = 0;   // any other answer, or none
  std::vector<std::uint64_t> acked_bits;  // bit i: message i was acknowledged
  std::string first_failure;
  std::size_t sent = 0;
  std::int64_t first_due_us = 0;   // when message 0 was due
  std::int64_t first_send_us = 0;
  std::int64_t last_send_us = 0;
  latency_histogram ack_latency;  // due (or send) time to acknowledgement
  latency_histogram send_lag;     // per message sent: how long after its due time it left

  /// Messages sent per second, from the first due time to the last send (the offered rate when
  /// the publisher kept its schedule).
  double achieved_rate(double offered_rate) const;
  /// True when some message left more than schedule_slack after it was due: the publisher
  /// could not keep the offered rate, and the report says so.
  bool behind_schedule() const;
};

/// How late a send may be before the run counts as behind its schedule.
constexpr std::int64_t schedule_slack_us = 100'000;

/// Publishes options.messages messages at options.rate per second, blocking until each has
/// been answered or has failed.
publish_report publish_messages(const bench_options& options);

}  // namespace livechat::bench
