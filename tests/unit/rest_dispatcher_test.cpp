#include "api/rest_dispatcher.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <future>
#include <atomic>
#include <semaphore>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "api/loggable_target.hpp"
#include "store/store.hpp"

// The dispatcher's choice of pool for each route, the password-hashing pool's bound (SPEC 3:
// a flood of sign-ins gets 429, and never delays the rest), and the log lines it writes.

namespace livechat::api {
namespace {

namespace http = net::http;
using namespace std::chrono_literals;

net::http_request request_for(http::verb method, std::string target) {
  net::http_request request{method, target, 11};
  return request;
}

// What one request got: the response, once it arrives.
struct answer {
  std::promise<net::http_response> promise;
  std::future<net::http_response> future = promise.get_future();
  net::responder responder() {
    return [this](net::reply&& reply) {
      promise.set_value(std::get<net::http_response>(std::move(reply)));
    };
  }
  net::http_response get() {
    if (future.wait_for(10s) != std::future_status::ready) throw std::runtime_error("no answer");
    return future.get();
  }
};

class RestDispatcherTest : public ::testing::Test {
 protected:
  static constexpr std::size_t max_waiting_hashes = 2;

  void SetUp() override {
    routes_.add(http::verb::post, "/hash", execution::password_hashing,
                [this](const request_context&) {
                  hashing_thread_ = std::this_thread::get_id();
                  running_.release();
                  released_.wait();
                  return net::http_response{http::status::ok, 11};
                });
    routes_.add(http::verb::post, "/maybe-hash", execution::worker,
                [](const request_context&) {
                  std::ostringstream id;
                  id << std::this_thread::get_id();
                  auto response = net::http_response{http::status::ok, 11};
                  response.body() = id.str();
                  return response;
                },
                [](const request_context& context) { return context.request.body() == "hash me"; });
    routes_.add(http::verb::get, "/fast", execution::worker,
                [](const request_context&) { return net::http_response{http::status::ok, 11}; });
    routes_.add(http::verb::get, "/boom", execution::worker,
                [](const request_context&) -> route_result { throw std::runtime_error("boom"); });
    routes_.add(http::verb::get, "/database-down", execution::worker,
                [](const request_context&) -> route_result {
                  throw store::store_error("disk on fire");
                });
  }

  void release() {
    std::call_once(release_once_, [this] { release_.set_value(); });
  }

  void TearDown() override {
    release();
    hashing_.join();
    workers_.join();
  }

  net::http_response call(http::verb method, std::string target, std::string body = {}) {
    answer got;
    auto request = request_for(method, std::move(target));
    request.body() = std::move(body);
    dispatcher_.handle(std::move(request), boost::asio::ip::make_address("127.0.0.1"),
                       got.responder());
    return got.get();
  }

  router routes_;
  cors_policy cors_{std::vector<std::string>{"*"}};
  boost::asio::thread_pool workers_{2};
  boost::asio::thread_pool hashing_{1};
  rest_dispatcher dispatcher_{routes_, cors_, workers_, hashing_, max_waiting_hashes};
  std::counting_semaphore<> running_{0};  // one release per hash that started
  std::promise<void> release_;             // the hashes finish once it is set
  std::shared_future<void> released_ = release_.get_future().share();
  std::once_flag release_once_;
  std::atomic<std::thread::id> hashing_thread_;
};

TEST_F(RestDispatcherTest, AFullPasswordQueueIs429WithRetryAfterAndTheRestStillAnswers) {
  // One hash runs (and blocks), two wait: the queue is full.
  std::vector<std::unique_ptr<answer>> held;
  for (std::size_t i = 0; i < 1 + max_waiting_hashes; ++i) {
    held.push_back(std::make_unique<answer>());
    dispatcher_.handle(request_for(http::verb::post, "/hash"),
                       boost::asio::ip::make_address("127.0.0.1"), held.back()->responder());
    if (i == 0) running_.acquire();  // the first has left the queue for the hashing thread
  }
  const auto refused = call(http::verb::post, "/hash");
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(refused[http::field::retry_after], "1");
  EXPECT_NE(refused.body().find("\"RATE_LIMITED\""), std::string::npos) << refused.body();

  // The worker pool does not wait behind the hashes.
  EXPECT_EQ(call(http::verb::get, "/fast").result(), http::status::ok);

  release();
  for (auto& each : held) EXPECT_EQ(each->get().result(), http::status::ok);
  // Drained: the next one is taken again.
  EXPECT_EQ(call(http::verb::post, "/hash").result(), http::status::ok);
}

TEST_F(RestDispatcherTest, ARouteRunsOnTheHashingPoolOnlyForTheRequestsItSays) {
  release();
  ASSERT_EQ(call(http::verb::post, "/hash").result(), http::status::ok);  // learns the thread
  std::ostringstream hashing_id;
  hashing_id << hashing_thread_.load();
  EXPECT_EQ(call(http::verb::post, "/maybe-hash", "hash me").body(), hashing_id.str());
  EXPECT_NE(call(http::verb::post, "/maybe-hash", "no password here").body(), hashing_id.str());
}

// Every line logged while it lives, for the assertions below.
class captured_log {
 public:
  captured_log() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~captured_log() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return lines_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream lines_;
};

TEST_F(RestDispatcherTest, AnAccessTokenInTheUrlNeverReachesTheLog) {
  captured_log log;
  EXPECT_EQ(call(http::verb::get, "/boom?access_token=eyJ.secret-one.sig&sinceId=4").result(),
            http::status::internal_server_error);
  EXPECT_EQ(call(http::verb::get, "/database-down?sinceId=1&Access%5FToken=eyJ.secret-two.sig")
                .result(),
            http::status::service_unavailable);
  const std::string text = log.text();
  EXPECT_EQ(text.find("secret-one"), std::string::npos) << text;
  EXPECT_EQ(text.find("secret-two"), std::string::npos) << text;
  // The rest of the line is still there to diagnose with.
  EXPECT_NE(text.find("/boom?access_token=[redacted]&sinceId=4"), std::string::npos) << text;
  EXPECT_NE(text.find("/database-down?sinceId=1&Access%5FToken=[redacted]"), std::string::npos)
      << text;
}

TEST(LoggableTargetTest, RedactsEveryTokenParameterAndKeepsTheRest) {
  EXPECT_EQ(loggable_target("/chatrooms/1/events"), "/chatrooms/1/events");
  EXPECT_EQ(loggable_target("/x?sinceId=3"), "/x?sinceId=3");
  EXPECT_EQ(loggable_target("/x?access_token=abc"), "/x?access_token=[redacted]");
  EXPECT_EQ(loggable_target("/x?a=1&refreshToken=abc&access_token=def&b"),
            "/x?a=1&refreshToken=[redacted]&access_token=[redacted]&b");
  EXPECT_EQ(loggable_target("/x?%61ccess_token=abc"), "/x?%61ccess_token=[redacted]");
  EXPECT_EQ(loggable_target("/x?access_token"), "/x?access_token");
  // Not a valid target: the query is left out rather than risked.
  EXPECT_EQ(loggable_target("/x?access_token=a b"), "/x?[query left out]");
}

}  // namespace
}  // namespace livechat::api
