#include "bench/bench_run.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <thread>

#include "bench/bench_clock.hpp"
#include "bench/bench_options.hpp"
#include "bench/bench_report.hpp"
#include "bench/process_channel.hpp"
#include "bench/process_probe.hpp"
#include "bench/publisher.hpp"
#include "bench/subscriber_shard.hpp"

namespace livechat::bench {
namespace {

namespace json = boost::json;

// Descriptors a subscriber process keeps for itself: pipes, epoll, standard streams, slack.
constexpr std::size_t reserved_descriptors = 64;

// Raises the soft descriptor limit to the hard one; returns how many subscribers one process
// can then hold.
std::size_t subscribers_per_process() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1000;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  const auto usable = static_cast<std::size_t>(limit.rlim_cur);
  return usable > reserved_descriptors * 2 ? usable - reserved_descriptors : usable / 2;
}

std::string to_hex(const std::vector<std::uint64_t>& words) {
  std::string text;
  text.reserve(words.size() * 16);
  for (const auto word : words) text += fmt::format("{:016x}", word);
  return text;
}

std::vector<std::uint64_t> from_hex(std::string_view text) {
  std::vector<std::uint64_t> words;
  for (std::size_t at = 0; at + 16 <= text.size(); at += 16) {
    words.push_back(std::stoull(std::string(text.substr(at, 16)), nullptr, 16));
  }
  return words;
}

json::object to_message(const connect_report& report) {
  return {{"attempted", report.attempted},        {"made", report.made},
          {"failed", report.failed},              {"first_failure", report.first_failure},
          {"limit", report.limit},                {"connect_time", report.connect_time.serialize()}};
}

connect_report connect_report_from(const json::object& message) {
  connect_report report;
  report.attempted = json::value_to<std::size_t>(message.at("attempted"));
  report.made = json::value_to<std::size_t>(message.at("made"));
  report.failed = json::value_to<std::size_t>(message.at("failed"));
  report.first_failure = json::value_to<std::string>(message.at("first_failure"));
  report.limit = json::value_to<std::string>(message.at("limit"));
  report.connect_time =
      latency_histogram::parse(json::value_to<std::string>(message.at("connect_time")));
  return report;
}

json::object to_message(const delivery_report& report) {
  return {{"expected", report.expected},
          {"received", report.received},
          {"duplicate", report.duplicate},
          {"unexpected", report.unexpected},
          {"dropped", report.dropped},
          {"last_delivery_us", report.last_delivery_us},
          {"first_failure", report.first_failure},
          {"latency", report.latency.serialize()}};
}

delivery_report delivery_report_from(const json::object& message) {
  delivery_report report;
  report.expected = json::value_to<std::uint64_t>(message.at("expected"));
  report.received = json::value_to<std::uint64_t>(message.at("received"));
  report.duplicate = json::value_to<std::uint64_t>(message.at("duplicate"));
  report.unexpected = json::value_to<std::uint64_t>(message.at("unexpected"));
  report.dropped = json::value_to<std::size_t>(message.at("dropped"));
  report.last_delivery_us = json::value_to<std::int64_t>(message.at("last_delivery_us"));
  report.first_failure = json::value_to<std::string>(message.at("first_failure"));
  report.latency = latency_histogram::parse(json::value_to<std::string>(message.at("latency")));
  return report;
}

// The life of a subscriber process: connect its share, report, wait for the word, count.
[[noreturn]] void run_subscriber_process(const bench_options& options, process_channel& channel,
                                         std::size_t first, std::size_t count, double ramp_rate) {
  int status = 0;
  try {
    subscriber_shard shard(options, first, count, ramp_rate);
    channel.send(to_message(shard.connect_all()));
    const auto finish = channel.receive();
    const auto acked = from_hex(json::value_to<std::string>(finish.at("acked")));
    const auto report = shard.finish(acked, json::value_to<std::uint64_t>(finish.at("acked_count")),
                                     json::value_to<std::int64_t>(finish.at("deadline_us")));
    channel.send(to_message(report));
  } catch (const std::exception& error) {
    std::cerr << "livechat bench: subscriber process: " << error.what() << std::endl;
    status = 1;
  }
  std::cout.flush();
  ::_exit(status);  // the parent's state (atexit handlers, buffers) is not this process's to run
}

struct subscriber_process {
  pid_t pid = -1;
  std::unique_ptr<process_channel> channel;
};

}  // namespace

int run_bench(const std::vector<std::string>& arguments) {
  bench_options options;
  try {
    options = parse_bench_options(arguments);
  } catch (const bench_options_help& help) {
    std::cout << help.what() << std::flush;
    return 0;
  } catch (const bench_options_error& error) {
    std::cerr << "livechat bench: " << error.what() << std::endl;
    return 2;
  }

  const auto started = std::chrono::steady_clock::now();
  const std::size_t capacity = subscribers_per_process();
  std::size_t processes = options.processes;
  if (processes == 0) processes = std::max<std::size_t>(1, (options.connections + capacity - 1) / capacity);
  processes = std::min(processes, std::max<std::size_t>(1, options.connections));

  bench_report report;
  report.label = options.label;
  report.protocol = std::string(to_string(options.protocol));
  report.publish = options.messages > 0 ? std::string(to_string(options.publish)) : "none";
  report.latency_from = std::string(to_string(options.latency_from));
  report.processes = processes;
  report.threads = options.threads;
  report.server_pids = options.server_pids;
  if (!options.server_pids.empty()) {
    report.server_before = sample_processes(options.server_pids);
    if (!report.server_before) {
      std::cerr << "livechat bench: cannot read /proc of --server-pid" << std::endl;
      return 2;
    }
  }

  // Fork before any thread exists: a child gets a copy of a single-threaded process.
  std::vector<subscriber_process> children;
  for (std::size_t p = 0; p < processes; ++p) {
    const std::size_t first = options.connections * p / processes;
    const std::size_t count = options.connections * (p + 1) / processes - first;
    auto channel = std::make_unique<process_channel>();
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::cerr << "livechat bench: fork failed" << std::endl;
      return 1;
    }
    if (pid == 0) {
      // A subscriber process dies with its coordinator: a bench stopped by a signal leaves none.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() == 1) ::_exit(1);  // the coordinator died before prctl took effect
      channel->become_child();
      for (auto& earlier : children) earlier.channel.reset();
      run_subscriber_process(options, *channel, first, count,
                             options.ramp_rate / static_cast<double>(processes));
    }
    channel->become_parent();
    children.push_back({pid, std::move(channel)});
  }

  int exit_code = 0;
  try {
    for (auto& child : children) merge(report.connections, connect_report_from(child.channel->receive()));
    std::this_thread::sleep_for(options.hold);
    if (!options.server_pids.empty()) report.server_connected = sample_processes(options.server_pids);

    if (options.messages > 0 && report.connections.made > 0) {
      report.published = publish_messages(options);
    }
    report.offered_rate = options.rate;
    report.publish_rate = report.published.achieved_rate(options.rate);
    const auto deadline = now_microseconds() +
                          std::chrono::duration_cast<std::chrono::microseconds>(options.drain).count();
    const json::object finish{{"acked", to_hex(report.published.acked_bits)},
                              {"acked_count", report.published.acked},
                              {"deadline_us", options.messages > 0 ? deadline : 0}};
    for (auto& child : children) child.channel->send(finish);
    for (auto& child : children) merge(report.deliveries, delivery_report_from(child.channel->receive()));
  } catch (const std::exception& error) {
    std::cerr << "livechat bench: " << error.what() << std::endl;
    exit_code = 1;
  }
  for (auto& child : children) {
    // Closing our ends first: a process still waiting for word (another one failed) reads the
    // end of its pipe and exits, instead of waiting for ever.
    child.channel.reset();
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) exit_code = 1;
  }
  if (exit_code != 0) return exit_code;

  if (!options.server_pids.empty()) report.server_end = sample_processes(options.server_pids);
  const auto delivery_span = report.deliveries.last_delivery_us - report.published.first_send_us;
  if (report.deliveries.received > 0 && delivery_span > 0) {
    report.deliveries_per_second =
        static_cast<double>(report.deliveries.received) * 1e6 / static_cast<double>(delivery_span);
  }
  report.bench_cpu_seconds = bench_cpu_seconds();
  report.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (options.json) {
    std::cout << boost::json::serialize(to_json(report)) << std::endl;
  } else {
    std::cout << to_text(report) << std::flush;
  }
  return report.connections.made > 0 ? 0 : 1;
}

}  // namespace livechat::bench
