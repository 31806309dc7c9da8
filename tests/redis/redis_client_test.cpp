// The command connection against a real redis-server: pipelining, AUTH, SELECT, drops, restarts.

#include "redis/command_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <vector>

#include "../support/redis_server.hpp"
#include "redis/scripts.hpp"
#include "redis_test_support.hpp"

namespace livechat::redis {
namespace {

using boost::system::error_code;
using test::redis_server;
using test::run_until;

struct outcome {
  error_code error;
  reply answer;
};

class RedisClient : public ::testing::Test {
 protected:
  std::shared_ptr<command_client> connect(redis_config config) {
    auto client = command_client::create(io_.get_executor(), std::move(config));
    client->set_connected_handler([this](bool reconnected) {
      ++connects_;
      if (reconnected) ++reconnects_;
    });
    client->set_disconnected_handler([this](error_code error) { drops_.push_back(error); });
    client->start();
    clients_.push_back(client);
    return client;
  }

  std::shared_ptr<command_client> connect() {
    auto client = connect(config_with_name("lc-test"));
    EXPECT_TRUE(run_until(io_, [&] { return client->connected(); }));
    return client;
  }

  redis_config config_with_name(std::string name) {
    auto config = server_.config();
    config.client_name = std::move(name);
    return config;
  }

  /// Runs one command and waits for its outcome.
  outcome call(command_client& client, std::initializer_list<std::string_view> args) {
    std::optional<outcome> result;
    client.execute(args, [&](error_code error, reply answer) { result = outcome{error, std::move(answer)}; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    return result.value_or(outcome{});
  }

  void TearDown() override {
    for (auto& client : clients_) client->close();
    // Every handler completes after close(): the io_context runs dry, nothing is left behind.
    io_.restart();
    io_.run();
    for (auto& client : clients_) EXPECT_EQ(client.use_count(), 1);
  }

  redis_server server_;
  boost::asio::io_context io_;
  std::vector<std::shared_ptr<command_client>> clients_;
  int connects_ = 0;
  int reconnects_ = 0;
  std::vector<error_code> drops_;
};

TEST_F(RedisClient, TenThousandPipelinedCommandsKeepTheirOrder) {
  auto client = connect();
  std::vector<long long> answers;
  for (int i = 0; i < 10'000; ++i) {
    client->execute({"INCR", "counter"}, [&](error_code error, reply answer) {
      EXPECT_FALSE(error);
      answers.push_back(answer.integer);
    });
  }
  EXPECT_GE(client->in_flight(), 10'000u);
  ASSERT_TRUE(run_until(io_, [&] { return answers.size() == 10'000; }));
  EXPECT_LE(client->in_flight(), 1u);  // at most a health PING
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(answers[i], i + 1);
  const auto& stats = client->stats();
  EXPECT_EQ(stats.replies.load(), 10'000u);
  std::uint64_t in_buckets = 0;
  for (const auto& bucket : stats.latency_buckets) in_buckets += bucket.load();
  EXPECT_EQ(in_buckets, 10'000u);
  EXPECT_GT(stats.latency_sum_us.load(), 0u);
}

TEST_F(RedisClient, ARedisErrorIsServerErrorWithItsText) {
  auto client = connect();
  call(*client, {"SET", "text", "abc"});
  auto result = call(*client, {"INCR", "text"});
  EXPECT_EQ(result.error, errc::server_error);
  EXPECT_TRUE(result.answer.is_error());
  EXPECT_NE(result.answer.text.find("not an integer"), std::string::npos);
  EXPECT_EQ(client->stats().error_replies.load(), 1u);
}

TEST_F(RedisClient, ACommandWhileDisconnectedFailsAtOnceWithNotConnected) {
  auto client = command_client::create(io_.get_executor(), server_.config());
  clients_.push_back(client);
  std::optional<error_code> result;
  client->execute({"PING"}, [&](error_code error, reply) { result = error; });
  ASSERT_TRUE(run_until(io_, [&] { return result.has_value(); }));
  EXPECT_EQ(*result, errc::not_connected);
}

TEST_F(RedisClient, SelectsTheDatabaseOfTheConfig) {
  auto config = config_with_name("lc-db");
  config.database = 2;
  auto client = connect(config);
  ASSERT_TRUE(run_until(io_, [&] { return client->connected(); }));
  call(*client, {"SET", "where", "db2"});
  EXPECT_TRUE(server_.command({"GET", "where"}).is_nil());
  auto info = call(*client, {"CLIENT", "INFO"});
  EXPECT_NE(info.answer.text.find(" db=2 "), std::string::npos) << info.answer.text;
}

TEST_F(RedisClient, ScriptsRunByShaAndReloadAfterScriptFlush) {
  auto client = connect();
  server_.command({"SCRIPT", "FLUSH"});
  std::vector<std::string_view> keys = {"{lc:0}:room:r:state", "{lc:0}:room:r:history",
                                        "{lc:0}:room:r:left"};
  std::vector<std::string_view> args = {"closed", "r", "{lc:0}:room:r", ""};
  std::optional<outcome> first;
  client->evalsha(scripts::control(), keys, args,
                  [&](error_code error, reply answer) { first = outcome{error, std::move(answer)}; });
  ASSERT_TRUE(run_until(io_, [&] { return first.has_value(); }));
  ASSERT_FALSE(first->error) << first->answer.text;
  EXPECT_TRUE(first->answer.elements.at(0).is("ok"));
  // Loaded now: the same SHA runs without a reload.
  EXPECT_EQ(server_.command({"SCRIPT", "EXISTS", scripts::control().sha1()}).elements.at(0).integer, 1);
}

TEST_F(RedisClient, CommandsInFlightFailWhenTheConnectionIsKilledAndTheClientReconnects) {
  auto client = connect();
  std::vector<error_code> errors;
  // BLPOP blocks on the server: it and the PING pipelined behind it are surely in flight.
  client->execute({"BLPOP", "nothing", "0"}, [&](error_code error, reply) { errors.push_back(error); });
  client->execute({"PING"}, [&](error_code error, reply) { errors.push_back(error); });
  ASSERT_TRUE(run_until(io_, [&] {
    return server_.command({"CLIENT", "LIST"}).text.find("cmd=blpop") != std::string::npos;
  }));
  auto ids = server_.client_ids("lc-test");
  ASSERT_EQ(ids.size(), 1u);
  server_.command({"CLIENT", "KILL", "ID", ids[0]});

  ASSERT_TRUE(run_until(io_, [&] { return errors.size() == 2; }));
  EXPECT_EQ(errors[0], errc::connection_lost);
  EXPECT_EQ(errors[1], errc::connection_lost);
  ASSERT_TRUE(run_until(io_, [&] { return reconnects_ == 1 && client->connected(); }));
  EXPECT_EQ(client->stats().reconnects.load(), 1u);
  EXPECT_EQ(drops_.size(), 1u);
  EXPECT_TRUE(call(*client, {"PING"}).answer.is("PONG"));
}

TEST_F(RedisClient, SurvivesAKillNineAndRestartOfRedisWithAcknowledgedWritesKept) {
  auto client = connect();
  EXPECT_EQ(call(*client, {"INCR", "kept"}).answer.integer, 1);
  std::optional<error_code> in_flight;
  client->execute({"BLPOP", "nothing", "0"}, [&](error_code error, reply) { in_flight = error; });
  ASSERT_TRUE(run_until(io_, [&] {
    return server_.command({"CLIENT", "LIST"}).text.find("cmd=blpop") != std::string::npos;
  }));
  server_.kill_hard();
  ASSERT_TRUE(run_until(io_, [&] { return in_flight.has_value(); }));
  EXPECT_EQ(*in_flight, errc::connection_lost);
  EXPECT_FALSE(client->connected());

  // While Redis is away, commands fail at once: the caller decides what to do.
  EXPECT_EQ(call(*client, {"PING"}).error, errc::not_connected);

  server_.restart();
  ASSERT_TRUE(run_until(io_, [&] { return reconnects_ == 1 && client->connected(); }));
  EXPECT_EQ(call(*client, {"GET", "kept"}).answer.text, "1");
  EXPECT_GE(client->stats().connection_failures.load(), 1u);
}

TEST_F(RedisClient, HealthPingsRecordTheirRoundTrip) {
  auto config = config_with_name("lc-ping");
  config.ping_interval = std::chrono::milliseconds(20);
  auto client = connect(config);
  ASSERT_TRUE(run_until(io_, [&] { return client->connected(); }));
  auto first_pong = client->stats().last_pong_unix_ms.load();
  EXPECT_GT(first_pong, 0);
  ASSERT_TRUE(run_until(io_, [&] {
    return client->stats().last_ping_rtt_us.load() > 0 &&
           client->stats().last_pong_unix_ms.load() > first_pong;
  }));
  // Health PINGs are not the callers' commands.
  EXPECT_EQ(client->stats().replies.load(), 0u);
}

TEST_F(RedisClient, CloseFailsPendingCommandsWithShutdownAndLeavesNoHandler) {
  auto client = connect();
  std::vector<error_code> errors;
  client->execute({"BLPOP", "nothing", "0"}, [&](error_code error, reply) { errors.push_back(error); });
  client->execute({"PING"}, [&](error_code error, reply) { errors.push_back(error); });
  client->close();
  io_.restart();
  io_.run();  // returns only when no handler of the client is left
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], errc::shutdown);
  EXPECT_EQ(errors[1], errc::shutdown);
  EXPECT_EQ(client.use_count(), 2);  // ours and clients_: no handler holds it
}

TEST_F(RedisClient, AnUnansweredPingDropsTheConnectionWhichComesBackLater) {
  auto config = config_with_name("lc-paused");
  config.ping_interval = std::chrono::milliseconds(20);
  config.ping_timeout = std::chrono::milliseconds(200);
  config.connect_timeout = std::chrono::milliseconds(200);
  auto client = connect(config);
  ASSERT_TRUE(run_until(io_, [&] { return client->connected(); }));
  // Redis holds every client's commands for 1.5 s: the PING goes unanswered, as on a
  // half-open socket.
  server_.command({"CLIENT", "PAUSE", "1500", "ALL"});
  ASSERT_TRUE(run_until(io_, [&] { return !drops_.empty(); }));
  EXPECT_EQ(drops_[0], errc::timeout);
  ASSERT_TRUE(run_until(io_, [&] { return reconnects_ == 1 && client->connected(); }));
}

/// A TCP server on loopback that is not Redis: it accepts one connection and writes `answer`.
class fake_server {
 public:
  fake_server(boost::asio::io_context& io, std::string answer)
      : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), socket_(io),
        answer_(std::move(answer)) {
    acceptor_.async_accept(socket_, [this](error_code error) {
      if (!error && !answer_.empty()) {
        boost::asio::async_write(socket_, boost::asio::buffer(answer_), [](error_code, std::size_t) {});
      }
    });
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::socket socket_;
  std::string answer_;
};

/// Connects a client to `port` and returns why its first attempt failed.
error_code first_failure(boost::asio::io_context& io, std::uint16_t port) {
  redis_config config;
  config.port = port;
  config.connect_timeout = std::chrono::milliseconds(100);
  auto client = command_client::create(io.get_executor(), config);
  std::vector<error_code> drops;
  client->set_disconnected_handler([&](error_code error) { drops.push_back(error); });
  client->start();
  EXPECT_TRUE(run_until(io, [&] { return !drops.empty(); }));
  EXPECT_FALSE(client->connected());
  client->close();
  io.restart();
  io.run();
  return drops.empty() ? error_code{} : drops[0];
}

TEST(RedisClientFailures, AServerThatNeverAnswersTheHandshakeTimesOut) {
  boost::asio::io_context io;
  fake_server silent(io, "");
  EXPECT_EQ(first_failure(io, silent.port()), errc::timeout);
}

TEST(RedisClientFailures, BytesThatAreNotRespDropTheConnection) {
  boost::asio::io_context io;
  fake_server garbage(io, "?this is not RESP\r\n");
  EXPECT_EQ(first_failure(io, garbage.port()), errc::protocol_error);
}

TEST(RedisClientFailures, NobodyListeningIsRetriedWithBackoff) {
  boost::asio::io_context io;
  redis_config config;
  {
    // A port that was free a moment ago and that nobody listens on.
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    config.port = probe.local_endpoint().port();
  }
  config.reconnect_initial_delay = std::chrono::milliseconds(5);
  config.reconnect_max_delay = std::chrono::milliseconds(40);
  auto client = command_client::create(io.get_executor(), config);
  std::vector<std::chrono::steady_clock::time_point> failures;
  client->set_disconnected_handler([&](error_code) { failures.push_back(std::chrono::steady_clock::now()); });
  client->start();
  ASSERT_TRUE(run_until(io, [&] { return failures.size() >= 6; }));
  // Waits 5, 10, 20, 40, 40 ms: growing, then capped.
  auto gap = [&](std::size_t i) { return failures[i + 1] - failures[i]; };
  EXPECT_GE(gap(1), std::chrono::milliseconds(10));
  EXPECT_GE(gap(2), std::chrono::milliseconds(20));
  EXPECT_GE(gap(3), std::chrono::milliseconds(40));
  EXPECT_GE(gap(4), std::chrono::milliseconds(40));
  EXPECT_LT(gap(4), std::chrono::milliseconds(1000));
  EXPECT_EQ(client->stats().connection_failures.load(), failures.size());
  client->close();
  io.restart();
  io.run();
}

class RedisClientAuth : public ::testing::Test {
 protected:
  redis_server server_{"s3cret-pass"};
  boost::asio::io_context io_;
};

TEST_F(RedisClientAuth, TheRightPasswordConnects) {
  auto client = command_client::create(io_.get_executor(), server_.config());
  client->start();
  ASSERT_TRUE(run_until(io_, [&] { return client->connected(); }));
  client->close();
  io_.restart();
  io_.run();
}

TEST_F(RedisClientAuth, AWrongPasswordNeverConnectsAndSaysWhy) {
  auto config = server_.config();
  config.password = "wrong";
  auto client = command_client::create(io_.get_executor(), config);
  std::vector<error_code> drops;
  client->set_disconnected_handler([&](error_code error) { drops.push_back(error); });
  client->start();
  // It keeps trying with backoff: two refusals in a row, never connected.
  ASSERT_TRUE(run_until(io_, [&] { return drops.size() >= 2; }));
  EXPECT_FALSE(client->connected());
  EXPECT_EQ(drops[0], errc::handshake_failed);
  EXPECT_EQ(client->stats().connects.load(), 0u);
  client->close();
  io_.restart();
  io_.run();
}

TEST_F(RedisClientAuth, AnAclUserFromAUrlConnects) {
  server_.command({"ACL", "SETUSER", "alice", "on", ">alice-pass", "~*", "&*", "+@all"});
  std::string error;
  auto config = parse_redis_url(
      "redis://alice:alice-pass@127.0.0.1:" + std::to_string(server_.port()) + "/1", error);
  ASSERT_TRUE(config) << error;
  auto client = command_client::create(io_.get_executor(), *config);
  client->start();
  ASSERT_TRUE(run_until(io_, [&] { return client->connected(); }));
  std::optional<reply> info;
  client->execute({"CLIENT", "INFO"}, [&](error_code, reply answer) { info = std::move(answer); });
  ASSERT_TRUE(run_until(io_, [&] { return info.has_value(); }));
  EXPECT_NE(info->text.find(" user=alice "), std::string::npos) << info->text;
  EXPECT_NE(info->text.find(" db=1 "), std::string::npos) << info->text;
  client->close();
  io_.restart();
  io_.run();
}

}  // namespace
}  // namespace livechat::redis
