#include "bench/process_probe.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace livechat::bench {
namespace {

// The number after "<field>:" in a /proc file of "Field:   value kB" lines.
std::optional<std::uint64_t> kib_field(const std::string& path, const std::string& field) {
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    if (line.starts_with(field + ":")) {
      std::istringstream values(line.substr(field.size() + 1));
      std::uint64_t kib = 0;
      if (values >> kib) return kib;
    }
  }
  return std::nullopt;
}

std::optional<double> cpu_seconds_of(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const auto name_end = stat.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(name_end + 2));
  std::string skipped;
  for (int i = 3; i <= 13; ++i) fields >> skipped;  // state … cmajflt
  double user_ticks = 0;
  double system_ticks = 0;
  if (!(fields >> user_ticks >> system_ticks)) return std::nullopt;
  return (user_ticks + system_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double seconds(const timeval& time) {
  return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
}

}  // namespace

std::optional<process_sample> sample_processes(const std::vector<int>& pids) {
  process_sample sum;
  for (const int pid : pids) {
    const std::string base = "/proc/" + std::to_string(pid);
    const auto rss = kib_field(base + "/status", "VmRSS");
    const auto cpu = cpu_seconds_of(pid);
    if (!rss || !cpu) return std::nullopt;
    sum.rss_kib += *rss;
    sum.pss_kib += kib_field(base + "/smaps_rollup", "Pss").value_or(*rss);
    sum.cpu_seconds += *cpu;
  }
  return sum;
}

double bench_cpu_seconds() {
  double total = 0;
  for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage usage{};
    if (getrusage(who, &usage) == 0) total += seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  return total;
}

}  // namespace livechat::bench
