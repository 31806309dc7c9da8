#include "billing/billing_reporter.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/json/parse.hpp>

#include <future>
#include <thread>

#include "billing_test_sink.hpp"
#include "metrics/metrics.hpp"

namespace livechat::billing {
namespace {

using namespace std::chrono_literals;
using testing::billing_sink;
using testing::received_request;

std::uint64_t failures() { return metrics::counters().billing_failures.load(); }
std::uint64_t reports() { return metrics::counters().billing_reports.load(); }

// Waits until `condition` holds, polling; false after `timeout`.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::size_t answered(const std::vector<received_request>& requests, unsigned status) {
  return static_cast<std::size_t>(std::count_if(
      requests.begin(), requests.end(),
      [status](const received_request& request) { return request.answered_status == status; }));
}

// A reporter on an io_context run by a thread of the test, posting to a billing_sink, with
// short intervals so that the tests run in milliseconds.
class BillingReporter : public ::testing::Test {
 protected:
  BillingReporter() : thread_([this] { context_.run(); }) {}

  ~BillingReporter() override {
    if (reporter_) stop(2s);
    guard_.reset();
    context_.stop();
    thread_.join();
  }

  billing_options fast_options(std::string base_url = {}) const {
    billing_options options;
    options.tenant_base_url = base_url.empty() ? sink_.base_url() : std::move(base_url);
    options.interval = 10ms;
    options.max_backoff = 80ms;
    options.http.timeout = 2s;
    return options;
  }

  void start(billing_options options) {
    reporter_ = billing_reporter::create(context_, meter_, std::move(options));
    reporter_->start();
  }

  // stop() on the reporter; true when its callback came within `max_wait` and a margin.
  bool stop(std::chrono::milliseconds max_wait) {
    auto done = std::make_shared<std::promise<void>>();
    reporter_->stop(max_wait, [done] { done->set_value(); });
    return done->get_future().wait_for(max_wait + 3s) == std::future_status::ready;
  }

  billing_sink sink_;
  usage_meter meter_;
  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      context_.get_executor()};
  std::thread thread_;
  std::shared_ptr<billing_reporter> reporter_;
};

TEST(BillingReportJson, IsSessionIdAndCount) {
  EXPECT_EQ(usage_report_json({"live-42", 17}), R"({"sessionId":"live-42","count":17})");
  EXPECT_EQ(usage_report_json({"a\"b\\c", 1}), R"({"sessionId":"a\"b\\c","count":1})");
}

TEST_F(BillingReporter, PostsOneJsonReportPerSessionToTheBillingsPath) {
  start(fast_options(sink_.base_url("/tenant-a/")));
  meter_.record("s1", 3);
  meter_.record("s2", 5);
  meter_.record("s1", 2);
  meter_.record("odd \"id\"", 1);

  ASSERT_TRUE(sink_.wait_for_total("s1", 5));
  ASSERT_TRUE(sink_.wait_for_total("s2", 5));
  ASSERT_TRUE(sink_.wait_for_total("odd \"id\"", 1));
  const auto requests = sink_.requests();
  ASSERT_EQ(requests.size(), 3u) << "one POST per session, nothing else";
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/tenant-a/api/v1/billings");
    EXPECT_EQ(request.content_type, "application/json");
    EXPECT_EQ(request.authorization, "");
    const auto body = boost::json::parse(request.body).as_object();
    EXPECT_EQ(body.size(), 2u) << request.body;
    EXPECT_TRUE(body.at("sessionId").is_string());
    EXPECT_TRUE(body.at("count").is_number());
  }
  EXPECT_TRUE(eventually([&] { return meter_.unreported() == 0; }));
}

TEST_F(BillingReporter, CountsAddUpExactlyAcrossAPeriodOfFailures) {
  const auto failures_before = failures();
  sink_.answer_with(500);
  start(fast_options());

  meter_.record("s1", 4);
  ASSERT_TRUE(sink_.wait_until([](const auto& requests) { return requests.size() >= 2; }));
  meter_.record("s1", 6);  // delivered while the tenant fails: carried with the rest
  meter_.record("s2", 1);
  ASSERT_TRUE(sink_.wait_until([](const auto& requests) { return requests.size() >= 5; }));
  EXPECT_EQ(sink_.accepted_total("s1"), 0u);
  // The sink counts a request before the reporter reads its answer.
  EXPECT_TRUE(eventually([&] { return failures() - failures_before >= 5; }));

  sink_.answer_with(200);
  meter_.record("s1", 5);
  ASSERT_TRUE(sink_.wait_for_total("s1", 15));
  ASSERT_TRUE(sink_.wait_for_total("s2", 1));
  // Each failed report carried everything not yet accepted, never less.
  for (const auto& request : sink_.requests()) {
    if (request.answered_status == 500 && billing_sink::count_of(request, "s1") != 0) {
      EXPECT_GE(billing_sink::count_of(request, "s1"), 4u);
    }
  }
  EXPECT_TRUE(eventually([&] { return meter_.unreported() == 0; }));
}

TEST_F(BillingReporter, NothingIsSentAgainAfterA2xx) {
  start(fast_options());
  meter_.record("s1", 7);
  ASSERT_TRUE(sink_.wait_for_total("s1", 7));
  meter_.record("s1", 3);
  ASSERT_TRUE(sink_.wait_for_total("s1", 10));

  std::this_thread::sleep_for(100ms);  // ten intervals with nothing new
  EXPECT_EQ(sink_.accepted_total("s1"), 10u);
  EXPECT_EQ(sink_.requests().size(), 2u);
  EXPECT_EQ(meter_.unreported(), 0u);
}

TEST_F(BillingReporter, RecoversWhenTheTenantRefusesConnectionsThenComesBack) {
  const auto failures_before = failures();
  sink_.go_down();
  start(fast_options());
  meter_.record("s1", 4);
  ASSERT_TRUE(eventually([&] { return failures() - failures_before >= 2; }));
  EXPECT_EQ(meter_.unreported(), 4u);

  sink_.come_up();
  meter_.record("s1", 6);
  ASSERT_TRUE(sink_.wait_for_total("s1", 10));
  EXPECT_EQ(answered(sink_.requests(), 200), sink_.requests().size());
  EXPECT_TRUE(eventually([&] { return meter_.unreported() == 0; }));
}

TEST_F(BillingReporter, ATimedOutReportIsCarriedIntoTheNextOne) {
  const auto failures_before = failures();
  sink_.hang();
  auto options = fast_options();
  options.http.timeout = 200ms;
  start(options);
  meter_.record("s1", 5);
  ASSERT_TRUE(eventually([&] { return failures() - failures_before >= 1; }));
  EXPECT_EQ(answered(sink_.requests(), 0), sink_.requests().size()) << "none was answered";

  sink_.answer_with(200);
  meter_.record("s1", 1);
  ASSERT_TRUE(sink_.wait_for_total("s1", 6));
}

TEST_F(BillingReporter, ReusesOneKeptAliveConnection) {
  start(fast_options());
  for (std::uint64_t round = 1; round <= 5; ++round) {
    meter_.record("s1", 1);
    ASSERT_TRUE(sink_.wait_for_total("s1", round));
  }
  EXPECT_EQ(sink_.requests().size(), 5u);
  EXPECT_EQ(sink_.connections(), 1u);
}

TEST_F(BillingReporter, ReconnectsWithoutAFailureWhenTheTenantClosedTheIdleConnection) {
  const auto failures_before = failures();
  sink_.close_idle_after(5ms);
  auto options = fast_options();
  options.interval = 40ms;  // so that the connection is always closed by the next report
  start(options);
  for (std::uint64_t round = 1; round <= 4; ++round) {
    meter_.record("s1", 1);
    ASSERT_TRUE(sink_.wait_for_total("s1", round));
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(failures(), failures_before);
  EXPECT_EQ(sink_.requests().size(), 4u) << "each report reached the tenant once";
  EXPECT_GE(sink_.connections(), 2u);
}

TEST_F(BillingReporter, BacksOffWhileTheTenantFails) {
  sink_.answer_with(503);
  start(fast_options());  // 10 ms, doubling up to 80 ms
  meter_.record("s1", 1);
  ASSERT_TRUE(sink_.wait_until([](const auto& requests) { return !requests.empty(); }));
  std::this_thread::sleep_for(600ms);
  // Without a backoff, 60 attempts; with it, 20 + 40 + 80 + 80 + … ms apart: about 9.
  const auto attempts = sink_.requests().size();
  EXPECT_GE(attempts, 3u);
  EXPECT_LE(attempts, 20u);

  sink_.answer_with(200);
  ASSERT_TRUE(sink_.wait_for_total("s1", 1));
}

TEST_F(BillingReporter, StopFlushesWhatIsPending) {
  auto options = fast_options();
  options.interval = 1h;  // only stop() reports
  start(options);
  meter_.record("s1", 3);
  meter_.record("s2", 4);
  ASSERT_TRUE(stop(2s));
  EXPECT_EQ(sink_.accepted_total("s1"), 3u);
  EXPECT_EQ(sink_.accepted_total("s2"), 4u);
  EXPECT_EQ(meter_.unreported(), 0u);
  reporter_.reset();
}

TEST_F(BillingReporter, StopWithNothingPendingReturnsAtOnce) {
  start(fast_options());
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(stop(2s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_TRUE(sink_.requests().empty());
  reporter_.reset();
}

TEST_F(BillingReporter, StopGivesUpAtMaxWaitAndKeepsTheCount) {
  sink_.hang();
  auto options = fast_options();
  options.interval = 1h;
  options.http.timeout = 10s;
  start(options);
  meter_.record("s1", 3);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(stop(200ms));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 2s);
  EXPECT_EQ(sink_.accepted_total("s1"), 0u);
  // The abandoned report gives its count back: still the process's to report.
  EXPECT_TRUE(eventually([&] { return meter_.pending_for("s1") == 3; }));
  reporter_.reset();
}

TEST_F(BillingReporter, AnUnreachableTenantEndsTheRoundAfterOneFailure) {
  const auto failures_before = failures();
  sink_.go_down();
  auto options = fast_options();
  options.interval = 1h;
  start(options);
  meter_.record("a", 1);
  meter_.record("b", 2);
  meter_.record("c", 3);
  ASSERT_TRUE(stop(2s));
  EXPECT_EQ(failures() - failures_before, 1u) << "b and c did not wait for the same failure";
  EXPECT_EQ(meter_.unreported(), 6u);
  EXPECT_EQ(meter_.pending_for("a") + meter_.pending_for("b") + meter_.pending_for("c"), 6u);
  reporter_.reset();
}

TEST_F(BillingReporter, CountsAcceptedReportsInTheMetrics) {
  const auto reports_before = reports();
  const auto failures_before = failures();
  start(fast_options());
  meter_.record("s1", 1);
  meter_.record("s2", 1);
  ASSERT_TRUE(sink_.wait_for_total("s1", 1));
  ASSERT_TRUE(sink_.wait_for_total("s2", 1));
  EXPECT_TRUE(eventually([&] { return reports() - reports_before == 2; }));
  EXPECT_EQ(failures(), failures_before);
}

}  // namespace
}  // namespace livechat::billing
