#pragma once
// Reads what the kernel says of the server's processes: resident memory and CPU time, summed
// over every pid given (nginx serves from several workers).

#include <cstdint>
#include <optional>
#include <vector>

namespace livechat::bench {

struct process_sample {
  std::uint64_t rss_kib = 0;  // VmRSS
  std::uint64_t pss_kib = 0;  // Pss of smaps_rollup: shared pages split between the sharers
  double cpu_seconds = 0;     // user + system
};

/// The sum over `pids`; nullopt when one of them cannot be read (gone, or not ours).
std::optional<process_sample> sample_processes(const std::vector<int>& pids);

/// The bench's own CPU seconds: this process and its children that have been waited for.
double bench_cpu_seconds();

}  // namespace livechat::bench
