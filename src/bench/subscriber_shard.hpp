#pragma once
// The subscribers of one bench process, spread over its I/O threads. A run has as many shards
// (processes) as the descriptor limit requires; each connects its share of the subscribers at
// its share of the ramp rate, then tallies deliveries until told what was published.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/latency_histogram.hpp"
#include "bench/subscriber.hpp"
#include "net/io_context_pool.hpp"

namespace livechat::bench {

/// How connecting went, once every subscriber has connected or failed.
struct connect_report {
  std::size_t attempted = 0;
  std::size_t made = 0;
  std::size_t failed = 0;
  std::string first_failure;
  std::string limit;
  latency_histogram connect_time;
};

/// What the subscribers received, against what was published.
struct delivery_report {
  std::uint64_t expected = 0;   // acknowledged messages × subscribers made
  std::uint64_t received = 0;   // of those, first deliveries
  std::uint64_t duplicate = 0;
  std::uint64_t unexpected = 0;
  std::size_t dropped = 0;      // subscribers that lost their connection
  std::int64_t last_delivery_us = 0;
  std::string first_failure;    // why the first subscriber failed or dropped
  latency_histogram latency;
};

/// Adds `part` (another thread's or process's figures) into `into`; the first failure and
/// limit seen are kept.
void merge(connect_report& into, const connect_report& part);
void merge(delivery_report& into, const delivery_report& part);

class subscriber_shard {
 public:
  /// Subscribers `first` .. `first + count - 1` of the run, connected at `ramp_rate` per second.
  subscriber_shard(const bench_options& options, std::size_t first, std::size_t count,
                   double ramp_rate);
  ~subscriber_shard();

  /// Connects every subscriber, ramped; returns when each has subscribed, failed or timed out.
  connect_report connect_all();

  /// Waits until every subscriber still connected has received every message in `acked` (a
  /// bitmap of `acked_count` sequence numbers), or until `deadline_us` on the bench clock;
  /// then stops the threads and counts.
  delivery_report finish(const std::vector<std::uint64_t>& acked, std::uint64_t acked_count,
                         std::int64_t deadline_us);

 private:
  struct thread_state;

  // Runs `task` on each I/O thread and waits until all have run it.
  template <class Task>
  void on_every_thread(Task task);

  const bench_options& options_;
  subscriber_plan plan_;
  std::size_t first_;
  std::size_t count_;
  double ramp_rate_;
  net::io_context_pool pool_;
  std::vector<std::unique_ptr<thread_state>> threads_;
  std::atomic<std::size_t> resolved_{0};
};

}  // namespace livechat::bench
