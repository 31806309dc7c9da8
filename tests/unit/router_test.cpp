#include "api/router.hpp"

#include <gtest/gtest.h>

namespace livechat::api {
namespace {

namespace http = net::http;

route_handler answer(http::status status) {
  return [status](const request_context&) { return net::http_response{status, 11}; };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    routes_.add(http::verb::get, "/chatrooms", execution::worker, answer(http::status::ok));
    routes_.add(http::verb::post, "/chatrooms", execution::worker, answer(http::status::created));
    routes_.add(http::verb::get, "/chatrooms/{id}", execution::worker, answer(http::status::accepted));
    routes_.add(http::verb::get, "/chatrooms/connected", execution::worker,
                answer(http::status::non_authoritative_information));
    routes_.add(http::verb::get, "/chatrooms/{id}/messages", execution::worker,
                answer(http::status::no_content));
    routes_.add(http::verb::get, "/healthz", execution::io_thread, answer(http::status::ok));
  }

  http::status status_of(const route_match& match) {
    return std::get<net::http_response>(match.matched->handler(request_context{})).result();
  }

  router routes_;
};

TEST_F(RouterTest, MatchesLiteralPathByMethod) {
  EXPECT_EQ(status_of(routes_.find(http::verb::get, {"chatrooms"})), http::status::ok);
  EXPECT_EQ(status_of(routes_.find(http::verb::post, {"chatrooms"})), http::status::created);
}

TEST_F(RouterTest, CapturesParameters) {
  const auto match = routes_.find(http::verb::get, {"chatrooms", "abc", "messages"});
  ASSERT_NE(match.matched, nullptr);
  EXPECT_EQ(status_of(match), http::status::no_content);
  EXPECT_EQ(match.parameters, std::vector<std::string>{"abc"});
}

TEST_F(RouterTest, LiteralSegmentWinsOverParameter) {
  const auto match = routes_.find(http::verb::get, {"chatrooms", "connected"});
  EXPECT_EQ(status_of(match), http::status::non_authoritative_information);
  EXPECT_TRUE(match.parameters.empty());
  EXPECT_EQ(status_of(routes_.find(http::verb::get, {"chatrooms", "x"})), http::status::accepted);
}

TEST_F(RouterTest, UnknownPathHasNoAllowedMethods) {
  const auto match = routes_.find(http::verb::get, {"nope"});
  EXPECT_EQ(match.matched, nullptr);
  EXPECT_TRUE(match.allowed.empty());
  EXPECT_EQ(routes_.find(http::verb::get, {"chatrooms", "a", "b"}).matched, nullptr);
  EXPECT_EQ(routes_.find(http::verb::get, {}).matched, nullptr);
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnes) {
  const auto match = routes_.find(http::verb::delete_, {"chatrooms"});
  EXPECT_EQ(match.matched, nullptr);
  EXPECT_EQ(match.allowed, (std::vector<http::verb>{http::verb::get, http::verb::post}));
}

TEST_F(RouterTest, RecordsWhereHandlersRun) {
  EXPECT_EQ(routes_.find(http::verb::get, {"healthz"}).matched->where, execution::io_thread);
  EXPECT_EQ(routes_.find(http::verb::get, {"chatrooms"}).matched->where, execution::worker);
}

}  // namespace
}  // namespace livechat::api
