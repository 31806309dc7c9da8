// usage_claims::stop (src/billing/usage_claims.hpp) on a real redis-server: a stopping node's
// last claims count what it delivered since its last interval, each id once in the cluster,
// and give up in time when Redis is away.

#include "billing/usage_claims.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "../support/redis_server.hpp"
#include "redis/command_client.hpp"
#include "redis_test_support.hpp"

namespace livechat::billing {
namespace {

using test::run_until;

constexpr std::string_view session_id = "0b7e1a52-9c3d-4e8f-a1b2-c3d4e5f60718";
// Far beyond the test: the only claims are stop()'s.
constexpr auto no_interval = std::chrono::hours(1);

/// A session batch delivered here: ids first..last (none when first is 0) and `raw` raw ones.
fanout::batch delivered(std::int64_t first, std::int64_t last, std::size_t raw) {
  fanout::batch made;
  made.room_id = session_id;
  made.messages.resize((first == 0 ? 0 : static_cast<std::size_t>(last - first + 1)) + raw);
  made.first_id_seen = first;
  made.last_id_seen = last;
  return made;
}

class UsageClaimsStop : public ::testing::Test {
 protected:
  void TearDown() override {
    client_->close();
    io_.restart();
    io_.run();
  }

  /// One node's claims (a node id of its own) into `meter`, on the test's connection.
  std::shared_ptr<usage_claims> node(usage_meter& meter) {
    return usage_claims::create(io_.get_executor(), client_, meter, no_interval);
  }

  /// Stops `claims` with `max_wait` and runs the loop until its callback; the time it took.
  std::chrono::milliseconds stop(usage_claims& claims, std::chrono::milliseconds max_wait) {
    bool done = false;
    const auto began = std::chrono::steady_clock::now();
    claims.stop(max_wait, [&] { done = true; });
    EXPECT_TRUE(run_until(io_, [&] { return done; }));
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 began);
  }

  void connect() {
    client_->start();
    ASSERT_TRUE(run_until(io_, [&] { return client_->connected(); }));
  }

  test::redis_server server_;
  boost::asio::io_context io_;
  std::shared_ptr<redis::command_client> client_ =
      redis::command_client::create(io_.get_executor(), server_.config());
};

TEST_F(UsageClaimsStop, ClaimsWhatWasDeliveredSinceTheLastIntervalEachIdOnce) {
  connect();
  usage_meter meter_a;
  usage_meter meter_b;
  auto node_a = node(meter_a);
  auto node_b = node(meter_b);
  node_a->record(delivered(1, 10, 2));
  node_b->record(delivered(1, 10, 2));
  node_b->record(delivered(11, 12, 0));

  stop(*node_a, std::chrono::seconds(2));
  EXPECT_EQ(meter_a.pending_for(session_id), 12u) << "ids 1-10 and the 2 raw messages";
  stop(*node_b, std::chrono::seconds(2));
  EXPECT_EQ(meter_b.pending_for(session_id), 2u) << "ids 11-12; A counted the rest";
}

TEST_F(UsageClaimsStop, NothingToClaimCallsBackAtOnce) {
  connect();
  usage_meter meter;
  auto claims = node(meter);
  EXPECT_LT(stop(*claims, std::chrono::seconds(5)), std::chrono::seconds(1));
  EXPECT_EQ(meter.unreported(), 0u);
}

TEST_F(UsageClaimsStop, RedisAwayGivesUpAfterMaxWait) {
  connect();
  usage_meter meter;
  auto claims = node(meter);
  claims->record(delivered(1, 5, 0));
  server_.kill_hard();
  const auto took = stop(*claims, std::chrono::milliseconds(300));
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(meter.unreported(), 0u) << "nothing was claimed, so nothing is counted";
}

}  // namespace
}  // namespace livechat::billing
