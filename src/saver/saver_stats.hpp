#pragma once
// The saver's counters, written on its executor and read by /metrics from another thread:
// plain atomics, relaxed.

#include <atomic>
#include <cstdint>

namespace livechat::saver {

struct saver_stats {
  std::atomic<std::uint64_t> messages_saved{0};      ///< hand-off entries stored and acknowledged
  std::atomic<std::uint64_t> batches{0};             ///< batches stored and acknowledged
  std::atomic<std::uint64_t> entries_claimed{0};     ///< taken over from another consumer (XAUTOCLAIM)
  std::atomic<std::uint64_t> unreadable_entries{0};  ///< acknowledged without a message to store
  std::atomic<std::uint64_t> failures{0};            ///< rounds abandoned (Redis or the database failed)
};

}  // namespace livechat::saver
