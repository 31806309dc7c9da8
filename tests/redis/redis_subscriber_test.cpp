// The subscriber connection against a real redis-server: delivery, patterns, and the
// subscriptions coming back after CLIENT KILL and after a kill -9 and restart of Redis.

#include "redis/subscriber.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../support/redis_server.hpp"
#include "redis/key_layout.hpp"
#include "redis_test_support.hpp"

namespace livechat::redis {
namespace {

using boost::system::error_code;
using test::redis_server;
using test::run_until;

struct received {
  std::string channel;
  std::string payload;
  std::string pattern;
};

class RedisSubscriber : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = server_.config();
    config.client_name = "lc-sub";
    subscriber_ = subscriber::create(io_.get_executor(), config);
    subscriber_->set_message_handler(
        [this](std::string_view channel, std::string_view payload, std::string_view pattern) {
          messages_.push_back({std::string(channel), std::string(payload), std::string(pattern)});
        });
    subscriber_->set_connected_handler([this](bool reconnected) {
      ++connects_;
      if (reconnected) ++reconnects_;
    });
    subscriber_->start();
    ASSERT_TRUE(run_until(io_, [&] { return subscriber_->connected(); }));
  }

  void TearDown() override {
    subscriber_->close();
    io_.restart();
    io_.run();
    EXPECT_EQ(subscriber_.use_count(), 1);
  }

  /// Subscribes and waits for Redis's confirmation.
  void subscribe(const std::string& channel) {
    std::optional<error_code> confirmed;
    subscriber_->subscribe(channel, [&](error_code error) { confirmed = error; });
    ASSERT_TRUE(run_until(io_, [&] { return confirmed.has_value(); }));
    ASSERT_FALSE(*confirmed) << confirmed->message();
  }

  long long subscribers_of(const std::string& channel) {
    return server_.command({"PUBSUB", "NUMSUB", channel}).elements.at(1).integer;
  }

  /// Publishes from another connection until the subscriber got `count` messages in all.
  void publish_and_wait(const std::string& channel, const std::string& payload) {
    auto before = messages_.size();
    EXPECT_EQ(server_.command({"PUBLISH", channel, payload}).integer, 1);
    ASSERT_TRUE(run_until(io_, [&] { return messages_.size() == before + 1; }));
    EXPECT_EQ(messages_.back().channel, channel);
    EXPECT_EQ(messages_.back().payload, payload);
  }

  redis_server server_;
  boost::asio::io_context io_;
  std::shared_ptr<subscriber> subscriber_;
  std::vector<received> messages_;
  int connects_ = 0;
  int reconnects_ = 0;
};

TEST_F(RedisSubscriber, DeliversMessagesInOrderAndStopsAfterUnsubscribe) {
  subscribe("room-a");
  for (int i = 0; i < 100; ++i) server_.command({"PUBLISH", "room-a", std::to_string(i)});
  ASSERT_TRUE(run_until(io_, [&] { return messages_.size() == 100; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(messages_[i].payload, std::to_string(i));
  EXPECT_TRUE(messages_[0].pattern.empty());

  subscriber_->unsubscribe("room-a");
  EXPECT_FALSE(subscriber_->wants("room-a"));
  ASSERT_TRUE(run_until(io_, [&] { return subscribers_of("room-a") == 0; }));
}

TEST_F(RedisSubscriber, APatternHearsEverySessionEnd) {
  std::optional<error_code> confirmed;
  subscriber_->psubscribe(std::string(raw_end_pattern), [&](error_code error) { confirmed = error; });
  ASSERT_TRUE(run_until(io_, [&] { return confirmed.has_value(); }));
  EXPECT_EQ(server_.command({"PUBLISH", "0b7c-session_END", "bye"}).integer, 1);
  ASSERT_TRUE(run_until(io_, [&] { return messages_.size() == 1; }));
  EXPECT_EQ(messages_[0].channel, "0b7c-session_END");
  EXPECT_EQ(messages_[0].payload, "bye");
  EXPECT_EQ(messages_[0].pattern, "*_END");
}

TEST_F(RedisSubscriber, ASecondSubscribeToTheSameChannelIsConfirmedToo) {
  subscribe("twice");
  subscribe("twice");
  EXPECT_EQ(subscriber_->channel_count(), 1u);
  publish_and_wait("twice", "once");
}

TEST_F(RedisSubscriber, ResubscribesAfterItsConnectionIsKilled) {
  subscribe("room-a");
  subscribe("room-b");
  std::optional<error_code> pattern_confirmed;
  subscriber_->psubscribe("*_END", [&](error_code error) { pattern_confirmed = error; });
  ASSERT_TRUE(run_until(io_, [&] { return pattern_confirmed.has_value(); }));

  auto ids = server_.client_ids("lc-sub");
  ASSERT_EQ(ids.size(), 1u);
  server_.command({"CLIENT", "KILL", "ID", ids[0]});
  ASSERT_TRUE(run_until(io_, [&] { return reconnects_ == 1; }));
  // By the time `connected(true)` ran, Redis already held every subscription again.
  EXPECT_EQ(subscribers_of("room-a"), 1);
  EXPECT_EQ(subscribers_of("room-b"), 1);
  EXPECT_EQ(server_.command({"PUBSUB", "NUMPAT"}).integer, 1);
  EXPECT_NE(server_.client_ids("lc-sub").at(0), ids[0]);
  publish_and_wait("room-a", "after kill");
  publish_and_wait("room-b", "after kill");
  publish_and_wait("x_END", "after kill");
}

TEST_F(RedisSubscriber, ResubscribesAfterRedisIsKilledAndRestarted) {
  subscribe("room-a");
  server_.kill_hard();
  ASSERT_TRUE(run_until(io_, [&] { return !subscriber_->connected(); }));
  // A subscription asked for while Redis is away is taken, and held after the reconnect.
  std::optional<error_code> while_down;
  subscriber_->subscribe("room-c", [&](error_code error) { while_down = error; });
  ASSERT_TRUE(run_until(io_, [&] { return while_down.has_value(); }));
  EXPECT_EQ(*while_down, errc::not_connected);

  server_.restart();
  ASSERT_TRUE(run_until(io_, [&] { return reconnects_ == 1; }));
  EXPECT_EQ(subscribers_of("room-a"), 1);
  EXPECT_EQ(subscribers_of("room-c"), 1);
  publish_and_wait("room-a", "after restart");
  publish_and_wait("room-c", "after restart");
}

TEST_F(RedisSubscriber, AnUnsubscribeWhileDisconnectedIsNotRestored) {
  subscribe("room-a");
  subscribe("room-b");
  server_.kill_hard();
  ASSERT_TRUE(run_until(io_, [&] { return !subscriber_->connected(); }));
  subscriber_->unsubscribe("room-b");
  server_.restart();
  ASSERT_TRUE(run_until(io_, [&] { return reconnects_ == 1; }));
  EXPECT_EQ(subscribers_of("room-a"), 1);
  EXPECT_EQ(subscribers_of("room-b"), 0);
}

TEST_F(RedisSubscriber, HealthPingsWorkInSubscribedMode) {
  subscribe("room-a");
  auto config = server_.config();
  config.client_name = "lc-sub-ping";
  config.ping_interval = std::chrono::milliseconds(20);
  auto pinging = subscriber::create(io_.get_executor(), config);
  pinging->subscribe("room-a");
  pinging->start();
  ASSERT_TRUE(run_until(io_, [&] { return pinging->connected(); }));
  ASSERT_TRUE(run_until(io_, [&] { return pinging->stats().last_ping_rtt_us.load() > 0; }));
  // Still up and still subscribed after several PINGs answered as ["pong", ""].
  auto pongs = pinging->stats().last_pong_unix_ms.load();
  ASSERT_TRUE(run_until(io_, [&] { return pinging->stats().last_pong_unix_ms.load() > pongs; }));
  EXPECT_TRUE(pinging->connected());
  EXPECT_EQ(subscribers_of("room-a"), 2);
  EXPECT_EQ(pinging->stats().connection_failures.load(), 0u);
  pinging->close();
}

}  // namespace
}  // namespace livechat::redis

namespace livechat::redis {
namespace {

TEST(RedisSubscriberLifetime, CloseBreaksACycleThroughItsHandlers) {
  test::redis_server server;
  boost::asio::io_context io;
  std::weak_ptr<subscriber> watched;
  {
    // Each handler owns the subscriber, as a broker's handlers may own the broker that owns it.
    auto owner = subscriber::create(io.get_executor(), server.config());
    owner->set_message_handler([owner](std::string_view, std::string_view, std::string_view) {});
    owner->set_connected_handler([owner](bool) {});
    owner->set_disconnected_handler([owner](error_code) {});
    owner->subscribe("room-a");
    owner->start();
    ASSERT_TRUE(test::run_until(io, [&] { return owner->connected(); }));
    watched = owner;
    owner->close();
  }
  io.restart();
  io.run();
  EXPECT_TRUE(watched.expired());
}

}  // namespace
}  // namespace livechat::redis
