#include "bench/publisher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <memory>

#include "bench/bench_clock.hpp"
#include "bench/delivery_marker.hpp"
#include "bench/http_publisher.hpp"
#include "bench/publish_transport.hpp"
#include "bench/stomp_publisher.hpp"

namespace livechat::bench {
namespace {

namespace asio = boost::asio;

// How long the last answers may take after the last message was due.
constexpr auto answer_grace = std::chrono::seconds(30);

// Message i is due at start + i / rate. It carries its due time (or, with --latency-from sent,
// the time it actually left), so that a transport that falls behind adds its lag to the latency
// the subscribers measure, as a user whose message waited would see it.
class publish_schedule final : public publish_events {
 public:
  explicit publish_schedule(const bench_options& options)
      : options_(options), timer_(io_), watchdog_(io_), stamped_(options.messages, 0) {
    report_.planned = options.messages;
    report_.acked_bits.assign((options.messages + 63) / 64, 0);
    if (options.publish == publish_mode::stomp) {
      transport_ = std::make_unique<stomp_publisher>(io_, options, *this);
    } else {
      transport_ = std::make_unique<http_publisher>(io_, make_http_publish_target(options),
                                                    options.publish_connections, *this);
    }
  }

  publish_report run() {
    if (options_.messages == 0) return report_;
    start_us_ = now_microseconds();
    report_.first_due_us = start_us_;
    transport_->start();
    release_due();
    const auto last_due = due_time(options_.messages - 1);
    watchdog_.expires_at(last_due + answer_grace);
    watchdog_.async_wait([this](const boost::system::error_code& error) {
      if (!error) give_up("no answer within 30 s of the last message's due time");
    });
    io_.run();
    return std::move(report_);
  }

  void acknowledged(std::uint64_t sequence) override {
    if (!take_answer(sequence)) return;
    ++report_.acked;
    report_.acked_bits[sequence / 64] |= std::uint64_t{1} << (sequence % 64);
    report_.ack_latency.record(now_microseconds() - stamped_[sequence]);
    finish_if_done();
  }

  void refused(std::uint64_t sequence, std::string_view reason) override {
    if (!take_answer(sequence)) return;
    ++report_.failed;
    if (report_.first_failure.empty()) report_.first_failure = std::string(reason);
    finish_if_done();
  }

  void ready() override { dispatch(); }

  void broken(std::string_view reason) override { give_up(reason); }

 private:
  std::int64_t due_microseconds(std::size_t sequence) const {
    return start_us_ + static_cast<std::int64_t>(static_cast<double>(sequence) * 1e6 / options_.rate);
  }

  // The same instant on the steady clock (now_microseconds() counts from its epoch).
  std::chrono::steady_clock::time_point due_time(std::size_t sequence) const {
    return std::chrono::steady_clock::time_point(std::chrono::microseconds(due_microseconds(sequence)));
  }

  // Queues every message that is due, sends what the transport can take, and waits for the
  // next due time.
  void release_due() {
    const auto now = std::chrono::steady_clock::now();
    while (next_ < options_.messages && due_time(next_) <= now) backlog_.push_back(next_++);
    dispatch();
    if (next_ >= options_.messages) return;
    timer_.expires_at(due_time(next_));
    timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) release_due();
    });
  }

  void dispatch() {
    while (!backlog_.empty() && !done_ && transport_->can_send()) {
      const std::uint64_t sequence = backlog_.front();
      backlog_.pop_front();
      const auto now = now_microseconds();
      const auto due = due_microseconds(sequence);
      const auto stamp = options_.latency_from == latency_origin::due ? due : now;
      stamped_[sequence] = stamp;
      ++report_.sent;
      report_.send_lag.record(std::max<std::int64_t>(0, now - due));
      if (report_.first_send_us == 0) report_.first_send_us = now;
      report_.last_send_us = now;
      transport_->send(sequence, format_marker(sequence, stamp, options_.payload_bytes));
    }
  }

  bool take_answer(std::uint64_t sequence) {
    if (done_ || sequence >= stamped_.size() || stamped_[sequence] == 0) return false;
    if (answered_.size() != stamped_.size()) answered_.assign(stamped_.size(), false);
    if (answered_[sequence]) return false;
    answered_[sequence] = true;
    ++answers_;
    return true;
  }

  void finish_if_done() {
    if (answers_ < options_.messages) return;
    done_ = true;
    io_.stop();
  }

  // Every message without an answer counts as failed, with `reason`.
  void give_up(std::string_view reason) {
    if (done_) return;
    const std::size_t unanswered = options_.messages - answers_;
    report_.failed += unanswered;
    if (unanswered > 0 && report_.first_failure.empty()) report_.first_failure = std::string(reason);
    done_ = true;
    io_.stop();
  }

  const bench_options& options_;
  asio::io_context io_{1};
  asio::steady_timer timer_;
  asio::steady_timer watchdog_;
  std::unique_ptr<publish_transport> transport_;
  publish_report report_;
  std::int64_t start_us_ = 0;
  std::vector<std::int64_t> stamped_;
  std::vector<bool> answered_;
  std::deque<std::uint64_t> backlog_;
  std::size_t next_ = 0;
  std::size_t answers_ = 0;
  bool done_ = false;
};

}  // namespace

double publish_report::achieved_rate(double offered_rate) const {
  if (sent == 0 || offered_rate <= 0) return 0;
  // Counted to one interval past the last send: a publisher exactly on schedule reaches the
  // offered rate, not (n - 1) / n of it.
  const double span_us = static_cast<double>(last_send_us - first_due_us) + 1e6 / offered_rate;
  return static_cast<double>(sent) * 1e6 / span_us;
}

bool publish_report::behind_schedule() const {
  return sent > 0 && send_lag.max() > schedule_slack_us;
}

publish_report publish_messages(const bench_options& options) {
  publish_schedule schedule(options);
  return schedule.run();
}

}  // namespace livechat::bench
