// Failure injection in the style of Boost.Beast's fail_count (issue 11): the n-th store call
// fails, for every n along a send and a sign-in (and a refresh); the n-th broker call, for
// every n along a send. Whatever n is, nothing acknowledged is lost, nothing unacknowledged
// appears, and nothing crashes or leaks (the sanitize configuration of `make test` runs this
// under ASan). The subscribe with resume is in
// room_subscription_test.cpp, beside its fixture; the n-th socket write, in the integration
// suite write_failures; the n-th Redis command inside the Redis broker (a send, a subscribe,
// a resync, a resume read, control events), in tests/redis/redis_broker_fail_count_test.cpp.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/token_service.hpp"
#include "auth/user_service.hpp"
#include "broker/memory_broker.hpp"
#include "fanout/room_hub.hpp"
#include "fanout_test_support.hpp"
#include "model/client_error.hpp"
#include "rooms/message_service.hpp"
#include "rooms/rate_limiter.hpp"
#include "store/sqlite/connection.hpp"

namespace livechat {
namespace {

using namespace std::chrono_literals;
using livechat::testing::failing_broker;
using livechat::testing::failing_store;
using livechat::testing::id_range;
using livechat::testing::ids_of;
using livechat::testing::temp_database;

// Enough for every path below: each stops as soon as an n is past its last call.
constexpr long max_calls_per_path = 50;

model::user make_user(const std::string& user_id) {
  return model::user{user_id, "$argon2id$not-a-real-hash", model::from_epoch_ms(0)};
}

class FailCountTest : public ::testing::Test {
 protected:
  temp_database database_;
  store::sqlite_store sqlite_{database_.path()};
  failing_store store_{sqlite_};
};

// --- a send: membership checks, the commit, the acknowledgement, the hand-off to the hub ------

class FailCountSendTest : public FailCountTest {
 protected:
  FailCountSendTest() {
    sqlite_.create_user(make_user("alice"));
    model::room room;
    room.id = "room";
    room.name = "Lobby";
    room.creator = "alice";
    room.created_at = model::from_epoch_ms(0);
    sqlite_.create_room(room);
    hub_.subscribe("room", 0, std::numeric_limits<std::int64_t>::max());
  }
  ~FailCountSendTest() override { broker_.stop(); }

  // Sends one message: its id when acknowledged as kept, nullopt when refused (by a thrown
  // store_error, as REST's 503, or by an outcome that is not kept).
  std::optional<std::int64_t> send(const std::string& contents) {
    std::promise<rooms::send_outcome> outcome;
    try {
      messages_.send("room", "alice", contents,
                     [&outcome](rooms::send_outcome result) { outcome.set_value(std::move(result)); });
    } catch (const store::store_error&) {
      return std::nullopt;
    }
    auto future = outcome.get_future();
    EXPECT_EQ(future.wait_for(1min), std::future_status::ready);
    const auto result = future.get();
    if (!result.kept) {
      EXPECT_EQ(result.error, model::client_errc::unavailable) << result.error_message;
      return std::nullopt;
    }
    return result.kept->id;
  }

  std::vector<std::int64_t> delivered_ids() {
    hub_.flush();
    std::scoped_lock lock{delivered_mutex_};
    std::vector<std::int64_t> ids;
    for (const auto& each : delivered_) {
      for (const auto& message : each->messages) ids.push_back(message.id);
    }
    return ids;
  }

  // For n = 1, 2, … makes the n-th call `calls` counts (a failing_store or failing_broker) of
  // a send fail, until a send runs its whole path without reaching n. Whatever n is, exactly
  // the acknowledged messages are kept, ids 1..k without a gap, and delivered once.
  template <typename Calls>
  void fail_each_call_of_a_send(Calls& calls) {
    std::vector<std::int64_t> acknowledged;
    std::vector<std::string> acknowledged_contents;
    bool reached_the_end = false;
    for (long n = 1; n <= max_calls_per_path && !reached_the_end; ++n) {
      const long before = calls.calls();
      calls.fail_call(n);
      const std::string contents = "failing at call " + std::to_string(n);
      const auto id = send(contents);
      // The n-th call was not reached: this send ran its whole path without a failure.
      reached_the_end = calls.calls() - before < n;
      calls.fail_call(0);
      if (reached_the_end) ASSERT_TRUE(id) << "nothing failed, yet the send was refused";
      if (id) {
        acknowledged.push_back(*id);
        acknowledged_contents.push_back(contents);
      }
      // Whatever failed, the next send works and takes the next id: no id was lost or reused.
      const auto next = send("after " + std::to_string(n));
      ASSERT_TRUE(next) << "n = " << n;
      acknowledged.push_back(*next);
      acknowledged_contents.push_back("after " + std::to_string(n));
    }
    ASSERT_TRUE(reached_the_end) << "a send makes more than " << max_calls_per_path << " calls";

    const auto kept = sqlite_.messages_after("room", 0, 10'000);
    EXPECT_EQ(ids_of(kept), id_range(1, static_cast<std::int64_t>(acknowledged.size())));
    EXPECT_EQ(ids_of(kept), acknowledged);
    for (std::size_t i = 0; i < kept.size(); ++i) {
      EXPECT_EQ(kept[i].contents, acknowledged_contents[i]);
    }
    EXPECT_EQ(delivered_ids(), acknowledged);
  }

  std::mutex delivered_mutex_;
  std::vector<std::shared_ptr<const fanout::batch>> delivered_;
  fanout::room_hub hub_{1, 10'000, [this](std::size_t, fanout::batch_list batches) {
                          std::scoped_lock lock{delivered_mutex_};
                          delivered_.insert(delivered_.end(), batches.begin(), batches.end());
                        }};
  broker::memory_broker broker_{store_, hub_};
  failing_broker broker_calls_{broker_};
  rooms::rate_limiter limiter_{1'000'000, 1'000'000};
  rooms::message_service messages_{store_, broker_calls_, limiter_, 2000};
};

TEST_F(FailCountSendTest, EveryStoreCallOfASendMayFailAndOnlyTheAcknowledgedAreKept) {
  fail_each_call_of_a_send(store_);
}

// A publish the broker does not take is answered `unavailable` (REST 503, STOMP ERROR), never
// `kept` (201, RECEIPT).
TEST_F(FailCountSendTest, EveryBrokerCallOfASendMayFailAndOnlyTheAcknowledgedAreKept) {
  fail_each_call_of_a_send(broker_calls_);
}

// --- a sign-in and a refresh -------------------------------------------------------------------

class FailCountSignInTest : public FailCountTest {
 protected:
  FailCountSignInTest() { users_.sign_up("alice", "correct horse battery"); }

  auth::token_service tokens_{std::string(32, 'k'), 1h, 24h};
  auth::user_service users_{store_, tokens_};
};

TEST_F(FailCountSignInTest, EveryStoreCallOfASignInMayFailAndAFailureHandsOutNothing) {
  bool reached_the_end = false;
  for (long n = 1; n <= max_calls_per_path && !reached_the_end; ++n) {
    const long before = store_.calls();
    store_.fail_call(n);
    std::optional<auth::token_pair> pair;
    try {
      pair = users_.sign_in("alice", "correct horse battery");
    } catch (const store::store_error&) {
    }
    reached_the_end = store_.calls() - before < n;
    store_.fail_call(0);
    if (reached_the_end) ASSERT_TRUE(pair);
    // A pair handed out works: its refresh token was recorded before it was given.
    if (pair) EXPECT_NO_THROW(users_.refresh(pair->refresh_token)) << "n = " << n;
  }
  ASSERT_TRUE(reached_the_end);
}

TEST_F(FailCountSignInTest, EveryStoreCallOfARefreshMayFailAndAFailureSpendsNothing) {
  bool reached_the_end = false;
  for (long n = 1; n <= max_calls_per_path && !reached_the_end; ++n) {
    const auto pair = users_.sign_in("alice", "correct horse battery");
    const long before = store_.calls();
    store_.fail_call(n);
    bool failed = false;
    try {
      users_.refresh(pair.refresh_token);
    } catch (const store::store_error&) {
      failed = true;
    }
    reached_the_end = store_.calls() - before < n;
    store_.fail_call(0);
    EXPECT_EQ(failed, !reached_the_end);
    // A refresh that failed spent nothing: the token still works once, and its family lives.
    if (failed) EXPECT_NO_THROW(users_.refresh(pair.refresh_token)) << "n = " << n;
  }
  ASSERT_TRUE(reached_the_end);
}

// Inside the store, a rotation is one transaction: when recording the successor fails after
// the presented token was marked spent, the whole rotation is undone.
TEST_F(FailCountSignInTest, ARotationThatFailsHalfwayIsUndoneWhole) {
  const auto pair = users_.sign_in("alice", "correct horse battery");
  {
    store::sqlite::connection database{database_.path()};
    database.execute(
        "CREATE TABLE fail_inserts (yes INTEGER);"
        "CREATE TRIGGER fail_successor BEFORE INSERT ON refresh_tokens "
        "WHEN EXISTS (SELECT 1 FROM fail_inserts) BEGIN SELECT RAISE(ABORT, 'injected'); END;"
        "INSERT INTO fail_inserts VALUES (1);");
  }
  EXPECT_THROW(users_.refresh(pair.refresh_token), store::store_error);
  store::sqlite::connection{database_.path()}.execute("DELETE FROM fail_inserts");
  const auto next = users_.refresh(pair.refresh_token);
  EXPECT_NO_THROW(users_.refresh(next.refresh_token));
}

}  // namespace
}  // namespace livechat
