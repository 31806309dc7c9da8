#include "bench/bench_options.hpp"

#include <gtest/gtest.h>

#include "bench/http_publisher.hpp"

namespace livechat::bench {
namespace {

TEST(BenchOptionsTest, DefaultsToLivechatPathsAndARandomRoom) {
  const auto options = parse_bench_options({"--protocol", "sse", "--api-key", "k"});
  EXPECT_EQ(options.host, "127.0.0.1");
  EXPECT_EQ(options.port, 8080);
  EXPECT_EQ(options.room.size(), 36u);
  EXPECT_EQ(options.subscriber_target(), "/api/v1/chats/sse-connect/" + options.room);
  EXPECT_EQ(options.publish, publish_mode::tenant);
  // Open loop by default: latency from the due time, up to 128 requests in flight.
  EXPECT_EQ(options.latency_from, latency_origin::due);
  EXPECT_EQ(options.publish_connections, 128u);
}

TEST(BenchOptionsTest, KeepsTheClosedLoopMeasurementAsANamedOption) {
  EXPECT_EQ(parse_bench_options({"--api-key", "k", "--latency-from", "sent"}).latency_from,
            latency_origin::sent);
  EXPECT_THROW(parse_bench_options({"--api-key", "k", "--latency-from", "ack"}),
               bench_options_error);
}

TEST(BenchOptionsTest, ReadsAPeerTemplate) {
  const auto options = parse_bench_options(
      {"--url", "http://127.0.0.1:9001", "--protocol", "ws", "--path", "/sub/{room}", "--room",
       "r1", "--publish", "http", "--publish-url", "http://127.0.0.1:9001/pub/{room}",
       "--publish-header", "Content-Type: text/plain", "--server-pid", "10,11", "--server-pid",
       "12", "--connections", "19000", "--messages", "0", "--json"});
  EXPECT_EQ(options.port, 9001);
  EXPECT_EQ(options.protocol, subscriber_protocol::websocket);
  EXPECT_EQ(options.subscriber_target(), "/sub/r1");
  EXPECT_EQ(options.server_pids, (std::vector<int>{10, 11, 12}));
  EXPECT_EQ(options.connections, 19000u);
  EXPECT_TRUE(options.json);
}

TEST(BenchOptionsTest, SpreadsOverSeveralNodesAndPublishesToTheFirst) {
  const auto options = parse_bench_options({"--url", "http://127.0.0.1:9001", "--url",
                                            "http://127.0.0.1:9002", "--api-key", "k"});
  ASSERT_EQ(options.servers.size(), 2u);
  EXPECT_EQ(options.servers[1].port, 9002);
  EXPECT_EQ(options.port, 9001);
  EXPECT_FALSE(options.publish_spread);
  EXPECT_TRUE(parse_bench_options({"--api-key", "k", "--publish-spread"}).publish_spread);
}

TEST(BenchOptionsTest, PublishesToEveryNodeOnlyWhenSpreadIsAskedFor) {
  const std::vector<std::string> two_nodes{"--url", "http://127.0.0.1:9001", "--url",
                                           "http://127.0.0.1:9002", "--api-key", "k"};
  EXPECT_EQ(make_http_publish_target(parse_bench_options(two_nodes)).servers.size(), 1u);
  auto spread = two_nodes;
  spread.push_back("--publish-spread");
  const auto target = make_http_publish_target(parse_bench_options(spread));
  ASSERT_EQ(target.servers.size(), 2u);
  EXPECT_EQ(target.servers[0].port, 9001);
  EXPECT_EQ(target.servers[1].port, 9002);
}

TEST(BenchOptionsTest, RefusesWhatCannotWork) {
  const std::vector<std::vector<std::string>> bad{
      {"--url", "https://127.0.0.1:1"},
      {"--url", "http://localhost:8080"},
      {"--url", "http://127.0.0.1"},
      {"--protocol", "mqtt"},
      {"--publish", "tenant"},                // no --api-key
      {"--publish", "rest", "--room", "x"},   // no --token
      {"--publish", "http"},                  // no --publish-url
      {"--protocol", "ws", "--api-key", "k"}, // a raw WebSocket has no livechat path
      {"--server-pid", "12x", "--api-key", "k"},
      {"--payload-bytes", "8", "--api-key", "k"},
      {"--publish", "http", "--publish-url", "http://a:1/", "--publish-header", "NoColon"},
      {"--url", "http://127.0.0.1:1", "--url", "http://localhost:2", "--api-key", "k"},
      {"--publish", "http", "--publish-url", "http://a:1/", "--publish-spread"},
  };
  for (const auto& arguments : bad) {
    EXPECT_THROW(parse_bench_options(arguments), bench_options_error) << arguments[1];
  }
  EXPECT_THROW(parse_bench_options({"--help"}), bench_options_help);
}

TEST(BenchOptionsTest, ReplacesEveryPlaceholder) {
  EXPECT_EQ(replace_placeholder("{room}/{room}/{x}", "room", "r{room}"), "r{room}/r{room}/{x}");
}

}  // namespace
}  // namespace livechat::bench
