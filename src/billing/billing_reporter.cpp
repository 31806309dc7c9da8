#include "billing/billing_reporter.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "metrics/metrics.hpp"

namespace livechat::billing {

namespace asio = boost::asio;

std::string usage_report_json(const usage& report) {
  boost::json::object body;
  body["sessionId"] = report.session_id;
  body["count"] = report.count;
  return boost::json::serialize(body);
}

std::shared_ptr<billing_reporter> billing_reporter::create(asio::io_context& context,
                                                           usage_meter& meter,
                                                           billing_options options) {
  return std::shared_ptr<billing_reporter>(new billing_reporter(context, meter, std::move(options)));
}

billing_reporter::billing_reporter(asio::io_context& context, usage_meter& meter,
                                   billing_options options)
    : meter_(meter),
      options_(std::move(options)),
      client_(net::http_client::create(context, options_.tenant_base_url, options_.http)),
      timer_(client_->executor()),
      stop_timer_(client_->executor()) {}

void billing_reporter::start() {
  asio::dispatch(client_->executor(), [self = shared_from_this()] {
    if (self->started_ || self->stopping_) return;
    self->started_ = true;
    self->schedule(self->options_.interval);
  });
}

void billing_reporter::stop(std::chrono::milliseconds max_wait, std::function<void()> done) {
  asio::dispatch(client_->executor(), [self = shared_from_this(), max_wait,
                                       done = std::move(done)]() mutable {
    if (self->stopped_) return asio::post(self->client_->executor(), std::move(done));
    self->stop_callbacks_.push_back(std::move(done));
    if (self->stopping_) return;
    self->stopping_ = true;
    self->timer_.cancel();
    self->stop_timer_.expires_after(max_wait);
    self->stop_timer_.async_wait([self, max_wait](boost::system::error_code error) {
      if (error || self->stopped_) return;
      spdlog::warn("billing: the last usage report to {} did not finish within {} ms",
                   self->client_->display_url(), max_wait.count());
      self->finish_stop();
    });
    // A round in flight goes on; its end starts the last one.
    if (self->round_running_) return;
    self->flush_started_ = true;
    self->start_round();
  });
}

void billing_reporter::schedule(std::chrono::milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait(
      [self = shared_from_this()](boost::system::error_code error) { self->on_timer(error); });
}

void billing_reporter::on_timer(boost::system::error_code error) {
  // Once stopping, stop() and end_round() start the rounds; a tick already queued is too late.
  if (error || stopping_) return;
  start_round();
}

void billing_reporter::start_round() {
  round_ = meter_.take_pending();
  next_ = 0;
  round_failures_ = 0;
  round_error_.clear();
  round_running_ = true;
  post_next();
}

void billing_reporter::post_next() {
  if (next_ == round_.size()) return end_round();
  // One POST per session, one after the other: the client has one connection anyway.
  client_->post_json(std::string(billings_path), usage_report_json(round_[next_]),
                     [self = shared_from_this()](bool ok, int status) {
                       self->on_posted(ok, status);
                     });
}

void billing_reporter::on_posted(bool ok, int status) {
  meter_.settle(round_[next_++], ok);
  auto& counters = metrics::counters();
  if (ok) {
    counters.billing_reports.fetch_add(1, std::memory_order_relaxed);
    return post_next();
  }
  counters.billing_failures.fetch_add(1, std::memory_order_relaxed);
  ++round_failures_;
  if (status != 0) {
    round_error_ = fmt::format("HTTP status {}", status);
  } else {
    round_error_ = client_->last_error();
    // No answer at all: the others would wait for the same timeout. They stay pending.
    for (; next_ < round_.size(); ++next_) meter_.settle(round_[next_], false);
  }
  post_next();
}

void billing_reporter::end_round() {
  round_running_ = false;
  const std::size_t posted = round_.size();
  round_.clear();
  // After a stop that gave up waiting, the abandoned request's failure is no news.
  if (stopped_) return;
  if (round_failures_ > 0) {
    ++failed_rounds_;
    spdlog::warn("billing: {} of {} usage reports to {} failed ({}); their counts are carried "
                 "into the next report{}",
                 round_failures_, posted, client_->display_url(), round_error_,
                 stopping_ ? "" : fmt::format(", in {} ms", backoff().count()));
  } else if (posted > 0 && failed_rounds_ > 0) {
    spdlog::info("billing: {} accepts usage reports again", client_->display_url());
    failed_rounds_ = 0;
  }

  if (stopping_) {
    if (flush_started_) return finish_stop();
    flush_started_ = true;
    return start_round();
  }
  schedule(round_failures_ > 0 ? backoff() : options_.interval);
}

std::chrono::milliseconds billing_reporter::backoff() const {
  // Never more often than the interval, even when it is above max_backoff.
  const auto cap = std::max(options_.max_backoff, options_.interval);
  auto delay = options_.interval;
  for (unsigned round = 0; round < failed_rounds_ && delay < cap; ++round) delay *= 2;
  return std::min(delay, cap);
}

void billing_reporter::finish_stop() {
  stopped_ = true;
  stop_timer_.cancel();
  timer_.cancel();
  // Fails a request still in flight: its count goes back to the meter.
  client_->close();
  if (const auto left = meter_.unreported(); left > 0) {
    spdlog::warn("billing: stopping with {} delivered messages not reported to {}", left,
                 client_->display_url());
  }
  auto callbacks = std::move(stop_callbacks_);
  stop_callbacks_.clear();
  for (auto& done : callbacks) done();
}

}  // namespace livechat::billing
