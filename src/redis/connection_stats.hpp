#pragma once
// Counters of one Redis connection, written on its executor and readable from any thread
// (the metrics and /readyz handlers run elsewhere): plain atomics, relaxed.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace livechat::redis {

struct connection_stats {
  /// Upper bounds (µs) of the command latency buckets; the last bucket is everything above.
  static constexpr std::array<std::uint64_t, 11> latency_bounds_us = {
      100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 1'000'000};

  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> connects{0};          ///< handshakes that succeeded
  std::atomic<std::uint64_t> reconnects{0};        ///< …of which after the first
  std::atomic<std::uint64_t> connection_failures{0};  ///< attempts that failed and drops
  std::atomic<std::uint64_t> replies{0};           ///< replies to callers' commands
  std::atomic<std::uint64_t> error_replies{0};     ///< …of which were Redis errors
  std::atomic<std::uint64_t> failed_commands{0};   ///< commands failed by a drop or refusal
  std::atomic<std::uint64_t> latency_sum_us{0};    ///< send to reply, over `replies`
  std::array<std::atomic<std::uint64_t>, latency_bounds_us.size() + 1> latency_buckets{};
  std::atomic<std::int64_t> last_pong_unix_ms{0};  ///< when the last PING was answered (0: never)
  std::atomic<std::uint64_t> last_ping_rtt_us{0};

  /// Adds one command's latency to the sum and to its (non-cumulative) bucket.
  void record_latency(std::chrono::steady_clock::duration latency);
};

}  // namespace livechat::redis
