#pragma once
// The one clock of a bench run: the steady clock in microseconds. Every process of the run and
// the publisher read the same CLOCK_MONOTONIC, so a send time written into a message by one
// process can be subtracted from a receive time read in another.

#include <chrono>
#include <cstdint>

namespace livechat::bench {

inline std::int64_t now_microseconds() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace livechat::bench
