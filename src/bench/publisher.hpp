#pragma once
// The bench's publisher: sends the run's messages at the planned rate, each carrying its
// sequence number and send time (delivery_marker.hpp), and records which the server
// acknowledged. Over HTTP (livechat's tenant or REST API, or a peer's POST endpoint) it keeps a
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
  std::int64_t first_send_us = 0;
  std::int64_t last_send_us = 0;
  latency_histogram ack_latency;  // send to acknowledgement
};

/// Publishes options.messages messages at options.rate per second, blocking until each has
/// been answered or has failed.
publish_report publish_messages(const bench_options& options);

}  // namespace livechat::bench
