#pragma once
// Reports the usage that a usage_meter gathers to the tenant (SPEC.md section 7): every
// interval, one `POST <TENANT_BASE_URL>/api/v1/billings` with `{"sessionId","count"}` per
// session that delivered messages since the last accepted report.
//
// Promises:
// * A count leaves the meter only when the tenant answered 2xx; anything else (a non-2xx
//   status, a connection error, the timeout) puts it back, to be carried, summed with newer
//   deliveries, by the next report. Nothing is sent again after a 2xx.
// * After a round with failures the next round waits interval × 2^n (n failed rounds in a row),
//   at most max_backoff; one round that succeeds brings the interval back.
// * A round stops at the first failure without an answer (the tenant is unreachable, so the
//   other sessions of the round would only wait for the same timeout); their counts wait too.
// * stop() reports what is pending once more, then calls back; never later than max_wait.
//
// Everything runs on one strand of the io_context given; start and stop may be called from
// any thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "billing/usage_meter.hpp"
#include "net/http_client.hpp"

namespace livechat::billing {

/// The path that usage reports are posted to, below TENANT_BASE_URL.
inline constexpr std::string_view billings_path = "/api/v1/billings";

struct billing_options {
  std::string tenant_base_url;  // TENANT_BASE_URL: http(s), may carry a path and credentials
  std::chrono::milliseconds interval{1000};  // BILLING_INTERVAL_MS
  std::chrono::milliseconds max_backoff{60'000};
  net::http_client_options http;  // the request timeout, among others
};

/// The JSON body of one usage report: `{"sessionId":"…","count":N}`.
std::string usage_report_json(const usage& report);

class billing_reporter : public std::enable_shared_from_this<billing_reporter> {
 public:
  /// A reporter of `meter`'s usage, working on `context`. `meter` must outlive it. Throws
  /// std::invalid_argument when the base URL cannot be used.
  static std::shared_ptr<billing_reporter> create(boost::asio::io_context& context,
                                                  usage_meter& meter, billing_options options);

  billing_reporter(const billing_reporter&) = delete;
  billing_reporter& operator=(const billing_reporter&) = delete;

  /// Starts the reporting loop: the first round one interval from now.
  void start();

  /// Ends the loop: lets a round in flight finish, reports whatever is pending once more, then
  /// closes the connection and calls `done` (on the reporter's strand). If that takes longer
  /// than `max_wait`, the request in flight is abandoned (its count goes back to the meter) and
  /// `done` is called at max_wait. Later calls only add their `done` to the first one's.
  void stop(std::chrono::milliseconds max_wait, std::function<void()> done);

 private:
  billing_reporter(boost::asio::io_context& context, usage_meter& meter, billing_options options);

  void schedule(std::chrono::milliseconds delay);
  void on_timer(boost::system::error_code error);
  void start_round();
  void post_next();
  void on_posted(bool ok, int status);
  void end_round();
  std::chrono::milliseconds backoff() const;
  void finish_stop();

  usage_meter& meter_;
  const billing_options options_;
  std::shared_ptr<net::http_client> client_;
  boost::asio::steady_timer timer_;       // the next round
  boost::asio::steady_timer stop_timer_;  // stop()'s max_wait

  std::vector<usage> round_;  // the counts this round reports, taken from the meter
  std::size_t next_ = 0;      // the index in round_ of the next one to post
  bool round_running_ = false;
  std::size_t round_failures_ = 0;
  std::string round_error_;          // why the last post of the round failed, for the log
  unsigned failed_rounds_ = 0;       // in a row; drives the backoff

  bool started_ = false;
  bool stopping_ = false;
  bool flush_started_ = false;  // the round that stop() asked for has begun
  bool stopped_ = false;
  std::vector<std::function<void()>> stop_callbacks_;
};

}  // namespace livechat::billing
