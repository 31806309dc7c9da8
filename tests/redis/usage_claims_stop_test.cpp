// usage_claims (src/billing/usage_claims.hpp) on a real redis-server: a stopping node's last
// claims count what it delivered since its last interval, each id once in the cluster, and give
// up in time when Redis is away; raw messages (no id) that two nodes delivered count once,
// across the raw lease's hand-over from a holder that stops or stops delivering them.

#include "billing/usage_claims.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../support/redis_server.hpp"
#include "model/time.hpp"
#include "redis/command_client.hpp"
#include "redis/key_layout.hpp"
#include "redis_test_support.hpp"

namespace livechat::billing {
namespace {

using test::run_until;

constexpr std::string_view session_id = "0b7e1a52-9c3d-4e8f-a1b2-c3d4e5f60718";
// Far beyond the test: the only claims are stop()'s.
constexpr auto no_interval = std::chrono::hours(1);

/// A session batch delivered here: ids first..last (none when first is 0), then raw messages
/// that arrived from Redis at `raw_arrivals` (ms since the epoch).
fanout::batch delivered(std::int64_t first, std::int64_t last,
                        const std::vector<std::int64_t>& raw_arrivals) {
  fanout::batch made;
  made.room_id = session_id;
  made.messages.resize(first == 0 ? 0 : static_cast<std::size_t>(last - first + 1));
  for (const std::int64_t arrival : raw_arrivals) {
    auto& raw = made.messages.emplace_back();
    raw.id = -static_cast<std::int64_t>(made.messages.size());
    raw.received_at = model::from_epoch_ms(arrival);
  }
  made.first_id_seen = first;
  made.last_id_seen = last;
  return made;
}

/// Raw messages only, delivered here, that arrived at `arrivals`.
fanout::batch raw_at(const std::vector<std::int64_t>& arrivals) { return delivered(0, 0, arrivals); }

std::int64_t now_ms() { return model::to_epoch_ms(model::now()); }

class UsageClaimsStop : public ::testing::Test {
 protected:
  void TearDown() override {
    client_->close();
    io_.restart();
    io_.run();
  }

  /// One node's claims (a node id of its own) into `meter`, on the test's connection.
  std::shared_ptr<usage_claims> node(usage_meter& meter,
                                     std::chrono::milliseconds interval = no_interval) {
    return usage_claims::create(io_.get_executor(), client_, meter, interval);
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
  const std::int64_t arrival = now_ms();
  node_a->record(delivered(1, 10, {arrival, arrival}));
  node_b->record(delivered(1, 10, {arrival, arrival}));
  node_b->record(delivered(11, 12, {}));

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
  claims->record(delivered(1, 5, {}));
  server_.kill_hard();
  const auto took = stop(*claims, std::chrono::milliseconds(300));
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(meter.unreported(), 0u) << "nothing was claimed, so nothing is counted";
}

// Two nodes claiming every 100 ms, both listening to the session: what they count of its raw
// messages adds up to the distinct messages delivered, none twice, whoever holds the lease.
class UsageClaimsRaw : public UsageClaimsStop {
 protected:
  static constexpr auto interval = std::chrono::milliseconds(100);

  std::shared_ptr<usage_claims> started_node(usage_meter& meter) {
    auto made = node(meter, interval);
    made->start();
    return made;
  }

  static std::uint64_t counted(const usage_meter& meter) { return meter.pending_for(session_id); }

  /// The session's raw lease holder, empty when it is free.
  std::string lease_holder() const {
    return server_.command({"GET", redis::billing_keys_for(session_id).raw_biller}).text;
  }

  void SetUp() override { connect(); }

  // A node a failed assertion left running claims forever: run the loop a while, not to its end.
  void TearDown() override {
    client_->close();
    io_.restart();
    io_.run_for(std::chrono::milliseconds(200));
  }
};

TEST_F(UsageClaimsRaw, AHolderThatStopsLeavesTheOtherNodeWhatCameAfterItsMark) {
  usage_meter meter_a;
  usage_meter meter_b;
  auto node_a = started_node(meter_a);
  const std::int64_t t = now_ms();
  node_a->record(raw_at({t, t + 1, t + 12}));
  ASSERT_TRUE(run_until(io_, [&] { return counted(meter_a) == 3; })) << "A takes the lease";

  // B delivered the same three, and both one more; A stops at once, holding the lease.
  auto node_b = started_node(meter_b);
  node_b->record(raw_at({t, t + 1, t + 12, t + 40}));
  node_a->record(raw_at({t + 40}));
  stop(*node_a, std::chrono::seconds(2));
  EXPECT_EQ(counted(meter_a), 4u) << "its last claim counted the fourth";
  EXPECT_EQ(lease_holder(), "") << "and released the lease";

  // Three that only B delivered, after A stopped (well past A's mark and the skew guard).
  const std::int64_t after = std::max(now_ms(), t + 40) + 100;
  node_b->record(raw_at({after, after + 1, after + 30}));
  ASSERT_TRUE(run_until(io_, [&] { return counted(meter_b) == 3; }));
  // B's next round has no raw message: it releases the lease, and has counted nothing more.
  ASSERT_TRUE(run_until(io_, [&] { return lease_holder().empty(); }));
  EXPECT_EQ(counted(meter_a) + counted(meter_b), 7u) << "7 distinct raw messages, none twice";
  stop(*node_b, std::chrono::seconds(2));
  EXPECT_EQ(counted(meter_b), 3u);
}

TEST_F(UsageClaimsRaw, AHolderThatStopsDeliveringReleasesAndTheOtherCountsFromItsMark) {
  usage_meter meter_a;
  usage_meter meter_b;
  auto node_a = started_node(meter_a);
  const std::int64_t t = now_ms();
  node_a->record(raw_at({t, t + 10}));
  ASSERT_TRUE(run_until(io_, [&] { return counted(meter_a) == 2; })) << "A takes the lease";

  // A's listeners left: it goes on claiming, with no raw message. B delivered A's two, and
  // three more A never had.
  auto node_b = started_node(meter_b);
  const std::int64_t after = std::max(now_ms(), t + 10) + 100;
  node_b->record(raw_at({t, t + 10, after, after + 20, after + 40}));
  ASSERT_TRUE(run_until(io_, [&] { return counted(meter_b) == 3; }))
      << "A released the lease after an interval without raw messages, B counted after its mark";
  ASSERT_TRUE(run_until(io_, [&] { return lease_holder().empty(); }));
  EXPECT_EQ(counted(meter_a), 2u);
  EXPECT_EQ(counted(meter_b), 3u) << "5 distinct raw messages, none twice";
  stop(*node_a, std::chrono::seconds(2));
  stop(*node_b, std::chrono::seconds(2));
  EXPECT_EQ(counted(meter_a) + counted(meter_b), 5u);
}

}  // namespace
}  // namespace livechat::billing
