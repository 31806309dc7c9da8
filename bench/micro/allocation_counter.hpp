#pragma once
// Counts the heap allocations of the benchmark thread, so that a benchmark can report how many
// allocations one item costs (an allocation per delivery is what the fan-out must avoid).
// allocation_counter.cpp replaces the global operator new of this binary to do the counting.

#include <benchmark/benchmark.h>

#include <cstdint>

namespace livechat::bench {

/// Allocations made through operator new on the calling thread so far.
std::uint64_t allocations_on_this_thread();

/// Measures the allocations of a benchmark's timed loop and reports them per item processed
/// as the counter "allocs/item".
class allocation_meter {
 public:
  allocation_meter() : start_(allocations_on_this_thread()) {}

  /// Call after the loop with the items it processed; `untimed` allocations (setup done with
  /// the timer paused) are left out.
  void report(benchmark::State& state, std::int64_t items, std::uint64_t untimed = 0) const {
    const auto made = allocations_on_this_thread() - start_ - untimed;
    state.counters["allocs/item"] =
        items > 0 ? static_cast<double>(made) / static_cast<double>(items) : 0.0;
  }

 private:
  std::uint64_t start_;
};

}  // namespace livechat::bench
