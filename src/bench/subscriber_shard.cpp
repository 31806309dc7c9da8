#include "bench/subscriber_shard.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "bench/bench_clock.hpp"

namespace livechat::bench {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr auto timeout_sweep_interval = 200ms;
constexpr auto poll_interval = 20ms;

}  // namespace

void merge(connect_report& into, const connect_report& part) {
  into.attempted += part.attempted;
  into.made += part.made;
  into.failed += part.failed;
  into.connect_time.merge(part.connect_time);
  if (into.first_failure.empty()) into.first_failure = part.first_failure;
  if (into.limit.empty()) into.limit = part.limit;
}

void merge(delivery_report& into, const delivery_report& part) {
  into.expected += part.expected;
  into.received += part.received;
  into.duplicate += part.duplicate;
  into.unexpected += part.unexpected;
  into.dropped += part.dropped;
  into.last_delivery_us = std::max(into.last_delivery_us, part.last_delivery_us);
  into.latency.merge(part.latency);
  if (into.first_failure.empty()) into.first_failure = part.first_failure;
}

struct subscriber_shard::thread_state {
  thread_state(asio::io_context& io, const subscriber_plan& plan)
      : context(io, plan), sweep_timer(io) {}

  // Fails the subscribers that are still connecting past the timeout, every 200 ms.
  void sweep() {
    sweep_timer.expires_after(timeout_sweep_interval);
    sweep_timer.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      const auto now = now_microseconds();
      for (auto& member : subscribers) member->check_timeout(now);
      sweep();
    });
  }

  // The thread's connect figures; `attempted` is left to the shard, which knows it.
  connect_report connect_figures() const {
    const auto& tally = context.tally;
    return {0, tally.made, tally.failed, tally.first_failure, tally.limit, tally.connect_time};
  }

  // The thread's deliveries against the `acked_count` acknowledged messages of `acked`.
  delivery_report delivery_figures(const std::vector<std::uint64_t>& acked,
                                   std::uint64_t acked_count) const {
    const auto& tally = context.tally;
    delivery_report figures;
    for (const auto& member : subscribers) {
      if (!member->made()) continue;
      figures.expected += acked_count;
      figures.received += member->received_of(acked);
    }
    figures.duplicate = tally.duplicate;
    figures.unexpected = tally.unexpected;
    figures.dropped = tally.dropped;
    figures.last_delivery_us = tally.last_delivery_us;
    figures.first_failure = tally.first_failure;
    figures.latency = tally.latency;
    return figures;
  }

  subscriber_thread context;
  std::vector<std::unique_ptr<subscriber>> subscribers;
  asio::steady_timer sweep_timer;
};

subscriber_shard::subscriber_shard(const bench_options& options, std::size_t first,
                                   std::size_t count, double ramp_rate)
    : options_(options),
      plan_(make_subscriber_plan(options)),
      first_(first),
      count_(count),
      ramp_rate_(ramp_rate),
      pool_(options.threads) {
  for (std::size_t i = 0; i < pool_.size(); ++i) {
    threads_.push_back(std::make_unique<thread_state>(pool_.context(i), plan_));
    threads_.back()->subscribers.reserve(count / pool_.size() + 1);
  }
  pool_.start();
  for (auto& thread : threads_) {
    asio::post(thread->context.io, [state = thread.get()] { state->sweep(); });
  }
}

subscriber_shard::~subscriber_shard() {
  pool_.stop();
  threads_.clear();  // the sockets close after their threads have stopped
}

template <class Task>
void subscriber_shard::on_every_thread(Task task) {
  std::vector<std::future<void>> done;
  for (auto& thread : threads_) {
    auto ran = std::make_shared<std::promise<void>>();
    done.push_back(ran->get_future());
    asio::post(thread->context.io, [state = thread.get(), ran, task] {
      task(*state);
      ran->set_value();
    });
  }
  for (auto& each : done) each.wait();
}

connect_report subscriber_shard::connect_all() {
  const auto start = std::chrono::steady_clock::now();
  const auto on_resolved = [](void* shard) {
    static_cast<subscriber_shard*>(shard)->resolved_.fetch_add(1, std::memory_order_relaxed);
  };
  for (std::size_t i = 0; i < count_; ++i) {
    const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(i) / ramp_rate_));
    std::this_thread::sleep_until(due);
    auto& thread = *threads_[i % threads_.size()];
    asio::post(thread.context.io, [this, &thread, index = first_ + i, on_resolved] {
      thread.subscribers.push_back(std::make_unique<subscriber>(thread.context, index));
      thread.subscribers.back()->start(on_resolved, this);
    });
  }
  while (resolved_.load(std::memory_order_relaxed) < count_) std::this_thread::sleep_for(poll_interval);

  connect_report report;
  report.attempted = count_;
  std::mutex report_mutex;
  on_every_thread([&](thread_state& state) {
    const auto figures = state.connect_figures();
    const std::lock_guard lock(report_mutex);
    merge(report, figures);
  });
  return report;
}

delivery_report subscriber_shard::finish(const std::vector<std::uint64_t>& acked,
                                         std::uint64_t acked_count, std::int64_t deadline_us) {
  for (;;) {
    std::atomic<bool> complete{true};
    on_every_thread([&](thread_state& state) {
      for (const auto& member : state.subscribers) {
        if (member->live() && member->received_of(acked) < acked_count) {
          complete.store(false, std::memory_order_relaxed);
          return;
        }
      }
    });
    if (complete.load() || now_microseconds() >= deadline_us) break;
    std::this_thread::sleep_for(poll_interval);
  }
  pool_.stop();

  delivery_report report;
  for (const auto& thread : threads_) merge(report, thread->delivery_figures(acked, acked_count));
  return report;
}

}  // namespace livechat::bench
