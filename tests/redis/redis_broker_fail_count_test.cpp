// Failure injection inside the Redis broker (issue 11), on a real redis-server and a real
// sqlite_store: the n-th command of the broker's command connection fails as if Redis were
// away at that moment (redis_broker::command_failures), for every n along a send, a subscribe
// (the first listener's reads), the resync after the subscriber connection drops, a resume
// read (history_after, history_before) and a control event (`left`, `closed`), until n is past
// the path's last command. Only the command connection is armed: the SUBSCRIBEs on the
// subscriber connection never fail here (CLIENT KILL tests cover that connection).
//
// Whatever n is: every acknowledged message is in the room's history and reaches the sink,
// ids 1..k without a gap, each once and in order; nothing unacknowledged appears; a read that
// fails throws store_error (503) rather than answer short; a failed read or control event is
// retried until it went through. The sanitize configuration of `make test` runs this under
// ASan (leaks included).

#include "broker/redis_broker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../support/redis_server.hpp"
#include "../unit/fanout_test_support.hpp"
#include "model/client_error.hpp"
#include "model/fail_count.hpp"
#include "rooms/message_service.hpp"
#include "rooms/rate_limiter.hpp"
#include "store/sqlite_store.hpp"

namespace livechat::broker {
namespace {

using namespace std::chrono_literals;
using livechat::testing::id_range;
using livechat::testing::ids_of;
using livechat::testing::make_message;
using livechat::testing::temp_database;

// Enough for every path below: each stops as soon as an n is past its last command.
constexpr long max_commands_per_path = 20;
constexpr std::size_t history_size = 1000;
constexpr std::size_t max_message_length = 2000;

// The n-th room of a test: a UUID of its own.
std::string room_id(long n) {
  const std::string digits = std::to_string(n);
  return "6f1c0e2a-0000-4000-8000-" + std::string(12 - digits.size(), '0') + digits;
}

// Everything a broker hands to this node's fan-out, in the order handed, for the test thread
// to wait on and read.
class recording_sink final : public message_sink {
 public:
  enum class kind { append, recall, close, left };
  struct event {
    kind type;
    std::vector<model::message> messages;  // append, recall
    std::string user_id;                   // left
  };
  using events = std::vector<event>;

  void append(std::string_view room, std::span<const model::message> kept) override {
    record(room, {kind::append, {kept.begin(), kept.end()}, {}});
  }
  void recall(std::string_view room, std::span<const model::message> earlier) override {
    record(room, {kind::recall, {earlier.begin(), earlier.end()}, {}});
  }
  void close(std::string_view room) override { record(room, {kind::close, {}, {}}); }
  void left(std::string_view room, std::string_view user_id) override {
    record(room, {kind::left, {}, std::string(user_id)});
  }

  /// Waits until `done` holds for `room`'s events; false (and a test failure) after 10 s.
  bool wait_until(const std::string& room, const std::function<bool(const events&)>& done) {
    std::unique_lock lock{mutex_};
    if (changed_.wait_for(lock, 10s, [&] { return done(rooms_[room]); })) return true;
    ADD_FAILURE() << "room " << room << ": timed out waiting for the sink";
    return false;
  }

  events of(const std::string& room) {
    std::scoped_lock lock{mutex_};
    return rooms_[room];
  }

 private:
  void record(std::string_view room, event happened) {
    {
      std::scoped_lock lock{mutex_};
      rooms_[std::string(room)].push_back(std::move(happened));
    }
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<std::string, events> rooms_;
};

/// The messages of every event of `type`, in order.
std::vector<model::message> messages_of(const recording_sink::events& events,
                                        recording_sink::kind type) {
  std::vector<model::message> found;
  for (const auto& each : events) {
    if (each.type == type) found.insert(found.end(), each.messages.begin(), each.messages.end());
  }
  return found;
}

std::vector<std::int64_t> appended_ids(const recording_sink::events& events) {
  return ids_of(messages_of(events, recording_sink::kind::append));
}

bool has_recall(const recording_sink::events& events) {
  return std::ranges::any_of(
      events, [](const auto& each) { return each.type == recording_sink::kind::recall; });
}

bool has_appended(const recording_sink::events& events, std::int64_t id) {
  const auto ids = appended_ids(events);
  return std::ranges::find(ids, id) != ids.end();
}

/// Polls `done` every millisecond until it holds; false (and a test failure naming `what`)
/// after 10 s.
bool poll_until(const std::function<bool()>& done, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "timed out waiting until " << what;
      return false;
    }
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class RedisBrokerFailCount : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(poll_until([&] { return broker_.healthy() && other_node_.healthy(); },
                           "both nodes are connected"));
  }

  struct published {
    publish_status status;
    std::int64_t id = 0;  // when kept
  };

  /// Publishes one message through `node` and waits for its outcome.
  static published publish(broker& node, const std::string& room, const std::string& contents,
                           const std::string& sender = "alice") {
    auto message = make_message(room, 0, contents);
    message.sender = sender;
    std::promise<published> outcome;
    node.publish({std::move(message)},
                 [&outcome](publish_status status, std::span<const model::message> kept) {
                   outcome.set_value({status, kept.empty() ? 0 : kept.front().id});
                 });
    auto future = outcome.get_future();
    EXPECT_EQ(future.wait_for(1min), std::future_status::ready);
    return future.get();
  }

  /// Subscribes this node to `room` and waits until its first read is done (the recall).
  void listen(const std::string& room) {
    broker_.subscribe(room);
    ASSERT_TRUE(sink_.wait_until(room, has_recall));
  }

  // The commands of the path run since `before`: fewer than `n` means the n-th was never
  // reached, so the path ran whole without a failure.
  bool ran_whole(long before, long n) const { return commands_.calls() - before < n; }

  // The same for a path the broker mends on its own (a feed's read, a control event): when the
  // n-th command was reached, it failed, and the broker must have sent it again (more than n).
  bool ran_whole_or_retried(long before, long n) const {
    const long commands = commands_.calls() - before;
    if (commands >= n) {
      EXPECT_GT(commands, n) << "n = " << n << ": the failed command was not retried";
    }
    return commands < n;
  }

  test::redis_server server_;
  temp_database database_;
  store::sqlite_store store_{database_.path()};
  recording_sink sink_;
  redis_broker broker_{server_.config(), history_size, max_message_length, store_, sink_};
  model::fail_count& commands_ = broker_.command_failures();
  // Another node of the cluster: it writes the rooms this node reads, on commands not counted.
  recording_sink other_sink_;
  redis_broker other_node_{server_.config(), history_size, max_message_length, store_, other_sink_};
};

// --- a send: the publish script, the acknowledgement, the delivery to the sink -----------------

TEST_F(RedisBrokerFailCount, EveryCommandOfASendMayFailAndOnlyTheAcknowledgedAreKept) {
  const std::string room = room_id(1);
  store_.create_user({"alice", "$argon2id$not-a-real-hash", model::from_epoch_ms(0)});
  model::room lobby;
  lobby.id = room;
  lobby.name = "Lobby";
  lobby.creator = "alice";
  lobby.created_at = model::from_epoch_ms(0);
  store_.create_room(lobby);
  rooms::rate_limiter limiter{1'000'000, 1'000'000};
  rooms::message_service messages{store_, broker_, limiter, max_message_length};
  listen(room);

  // Sends one message: its id when acknowledged as kept, nullopt when answered `unavailable`.
  const auto send = [&](const std::string& contents) -> std::optional<std::int64_t> {
    std::promise<rooms::send_outcome> outcome;
    messages.send(room, "alice", contents,
                  [&outcome](rooms::send_outcome result) { outcome.set_value(std::move(result)); });
    auto future = outcome.get_future();
    EXPECT_EQ(future.wait_for(1min), std::future_status::ready);
    const auto result = future.get();
    if (result.kept) return result.kept->id;
    EXPECT_EQ(result.error, model::client_errc::unavailable) << result.error_message;
    return std::nullopt;
  };

  std::vector<std::int64_t> acknowledged;
  std::vector<std::string> acknowledged_contents;
  bool reached_the_end = false;
  long failed_sends = 0;
  for (long n = 1; n <= max_commands_per_path && !reached_the_end; ++n) {
    const long before = commands_.calls();
    commands_.fail_call(n);
    const std::string contents = "failing at command " + std::to_string(n);
    const auto id = send(contents);
    reached_the_end = ran_whole(before, n);
    commands_.fail_call(0);
    EXPECT_EQ(id.has_value(), reached_the_end) << "n = " << n;
    if (id) {
      acknowledged.push_back(*id);
      acknowledged_contents.push_back(contents);
    } else {
      ++failed_sends;
    }
    // Whatever failed, the next send works and takes the next id: no id was lost or reused.
    const std::string after = "after " + std::to_string(n);
    const auto next = send(after);
    ASSERT_TRUE(next) << "n = " << n;
    acknowledged.push_back(*next);
    acknowledged_contents.push_back(after);
  }
  ASSERT_TRUE(reached_the_end) << "a send makes more than " << max_commands_per_path << " commands";
  EXPECT_EQ(failed_sends, 1) << "a send is one command: the publish script";

  const auto expected = id_range(1, static_cast<std::int64_t>(acknowledged.size()));
  EXPECT_EQ(acknowledged, expected);
  const auto kept = broker_.history_after(room, 0, 10'000);
  EXPECT_EQ(ids_of(kept), expected);
  // The sink has them all once the last one came: the channel keeps the id order.
  ASSERT_TRUE(sink_.wait_until(room, [&](const auto& events) {
    return has_appended(events, acknowledged.back());
  }));
  const auto delivered = messages_of(sink_.of(room), recording_sink::kind::append);
  EXPECT_EQ(ids_of(delivered), expected);
  for (std::size_t i = 0; i < kept.size() && i < delivered.size(); ++i) {
    EXPECT_EQ(kept[i].contents, acknowledged_contents[i]);
    EXPECT_EQ(delivered[i].contents, acknowledged_contents[i]);
  }
}

// --- a subscribe: the first listener's sequence read, SUBSCRIBE, history read ------------------

// The first read fails at its n-th command; the retry timer reads again. Another node publishes
// into the room meanwhile: whatever the interleaving, what the sink recalls (kept before the
// read) and what it gets appended (kept after) together are every id once, in order.
TEST_F(RedisBrokerFailCount, EveryCommandOfASubscribeMayFailAndTheFeedStillHasEveryIdOnce) {
  constexpr std::int64_t earlier = 3;
  bool reached_the_end = false;
  for (long n = 1; n <= max_commands_per_path && !reached_the_end; ++n) {
    const std::string room = room_id(100 + n);
    for (std::int64_t id = 1; id <= earlier; ++id) {
      ASSERT_EQ(publish(other_node_, room, "earlier").status, publish_status::kept);
    }
    const long before = commands_.calls();
    commands_.fail_call(n);
    broker_.subscribe(room);
    // Kept while the subscribe is under way: recalled or appended, depending on when.
    ASSERT_EQ(publish(other_node_, room, "meanwhile").id, earlier + 1);
    ASSERT_TRUE(sink_.wait_until(room, has_recall));
    reached_the_end = ran_whole_or_retried(before, n);
    commands_.fail_call(0);

    ASSERT_EQ(publish(other_node_, room, "later").id, earlier + 2);
    ASSERT_TRUE(sink_.wait_until(room, [&](const auto& events) {
      return has_appended(events, earlier + 2);
    }));
    const auto events = sink_.of(room);
    auto seen = ids_of(messages_of(events, recording_sink::kind::recall));
    EXPECT_GE(seen.size(), static_cast<std::size_t>(earlier)) << "n = " << n;
    const auto appended = appended_ids(events);
    seen.insert(seen.end(), appended.begin(), appended.end());
    EXPECT_EQ(seen, id_range(1, earlier + 2)) << "n = " << n;
  }
  ASSERT_TRUE(reached_the_end) << "a subscribe makes more than " << max_commands_per_path
                               << " commands";
}

// The subscriber connection drops: once it is back, each listened room is read again after its
// last delivered id (one XRANGE), and that read fails at its n-th command. What another node
// published meanwhile is delivered once, in order, before what it publishes later.
TEST_F(RedisBrokerFailCount, EveryCommandOfAResyncMayFailAndNothingIsSkippedOrRepeated) {
  const std::string room = room_id(200);
  listen(room);
  std::int64_t last = 0;
  bool reached_the_end = false;
  for (long n = 1; n <= max_commands_per_path && !reached_the_end; ++n) {
    const auto reconnects = broker_.subscriber_stats().reconnects.load();
    const long before = commands_.calls();
    commands_.fail_call(n);
    for (const auto& id : server_.client_ids("livechat-node-sub")) {
      server_.command({"CLIENT", "KILL", "ID", id});
    }
    ASSERT_EQ(publish(other_node_, room, "while the channel is down").id, ++last);
    ASSERT_TRUE(
        poll_until([&] { return broker_.subscriber_stats().reconnects.load() > reconnects; },
                   "the subscriber connection is back"));
    // Published once the channel is back: held until the resync read is done, so its delivery
    // says that the read went through.
    ASSERT_EQ(publish(other_node_, room, "after the reconnect").id, ++last);
    ASSERT_TRUE(
        sink_.wait_until(room, [&](const auto& events) { return has_appended(events, last); }));
    reached_the_end = ran_whole_or_retried(before, n);
    commands_.fail_call(0);
    EXPECT_EQ(appended_ids(sink_.of(room)), id_range(1, last)) << "n = " << n;
  }
  ASSERT_TRUE(reached_the_end) << "a resync makes more than " << max_commands_per_path
                               << " commands";
}

// --- a resume read: what a STOMP `x-since-id` or an SSE `Last-Event-ID` asks the broker -------

TEST_F(RedisBrokerFailCount, EveryCommandOfAHistoryReadMayFailAndThrowsRatherThanAnswerShort) {
  const std::string room = room_id(300);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(publish(broker_, room, "kept").status, publish_status::kept);
  }
  const std::vector<std::function<std::vector<model::message>()>> reads = {
      [&] { return broker_.history_after(room, 0, 100); },
      [&] { return broker_.history_after(room, 4, 3); },
      [&] { return broker_.history_before(room, 11, 100); },
      [&] { return broker_.history_before(room, 8, 2); },
  };
  const std::vector<std::vector<std::int64_t>> answers = {
      id_range(1, 10), id_range(5, 7), id_range(1, 10), id_range(6, 7)};
  for (std::size_t read = 0; read < reads.size(); ++read) {
    bool reached_the_end = false;
    for (long n = 1; n <= max_commands_per_path && !reached_the_end; ++n) {
      const long before = commands_.calls();
      commands_.fail_call(n);
      std::optional<std::vector<model::message>> answer;
      try {
        answer = reads[read]();
      } catch (const store::store_error&) {
      }
      reached_the_end = ran_whole(before, n);
      commands_.fail_call(0);
      EXPECT_EQ(answer.has_value(), reached_the_end) << "read " << read << ", n = " << n;
      if (answer) {
        EXPECT_EQ(ids_of(*answer), answers[read]) << "read " << read;
      }
      // A failed read leaves nothing behind: the same read answers in full at once.
      EXPECT_EQ(ids_of(reads[read]()), answers[read]) << "read " << read << ", n = " << n;
    }
    ASSERT_TRUE(reached_the_end) << "read " << read;
  }
}

// --- control events: the `control` script, its retry, the delivery in place --------------------

TEST_F(RedisBrokerFailCount, EveryCommandOfALeftMayFailAndItIsDeliveredOnceInPlace) {
  const std::string room = room_id(400);
  listen(room);
  std::vector<std::string> expected;  // the events, "<id>" or "left <user>", in order
  std::int64_t last = 0;
  bool reached_the_end = false;
  for (long n = 1; n <= max_commands_per_path && !reached_the_end; ++n) {
    ASSERT_EQ(publish(other_node_, room, "before").id, ++last);
    expected.push_back(std::to_string(last));
    const std::string user = "user-" + std::to_string(n);
    const long before = commands_.calls();
    commands_.fail_call(n);
    broker_.left(room, user);
    ASSERT_TRUE(sink_.wait_until(room, [&](const auto& events) {
      return !events.empty() && events.back().type == recording_sink::kind::left &&
             events.back().user_id == user;
    }));
    reached_the_end = ran_whole_or_retried(before, n);
    commands_.fail_call(0);
    expected.push_back("left " + user);
    // Once recorded, the user's publishes are refused on every node.
    EXPECT_EQ(publish(other_node_, room, "refused", user).status, publish_status::sender_left);
  }
  ASSERT_TRUE(reached_the_end);
  ASSERT_EQ(publish(other_node_, room, "last").id, ++last);
  expected.push_back(std::to_string(last));
  ASSERT_TRUE(
      sink_.wait_until(room, [&](const auto& events) { return has_appended(events, last); }));

  std::vector<std::string> seen;
  for (const auto& each : sink_.of(room)) {
    if (each.type == recording_sink::kind::left) seen.push_back("left " + each.user_id);
    if (each.type != recording_sink::kind::append) continue;
    for (const auto& message : each.messages) seen.push_back(std::to_string(message.id));
  }
  EXPECT_EQ(seen, expected);
}

TEST_F(RedisBrokerFailCount, EveryCommandOfACloseMayFailAndItIsDeliveredOnce) {
  // Redis sends one subscriber connection what is published in the order it was published, on
  // every channel: once a message published here after a close arrived, so did every copy of it.
  const std::string barrier = room_id(500);
  listen(barrier);
  std::int64_t barrier_id = 0;
  bool reached_the_end = false;
  for (long n = 1; n <= max_commands_per_path && !reached_the_end; ++n) {
    const std::string room = room_id(500 + n);
    listen(room);
    ASSERT_EQ(publish(other_node_, room, "before").id, 1);
    const long before = commands_.calls();
    commands_.fail_call(n);
    broker_.close(room);
    ASSERT_TRUE(sink_.wait_until(room, [](const auto& events) {
      return !events.empty() && events.back().type == recording_sink::kind::close;
    }));
    reached_the_end = ran_whole_or_retried(before, n);
    commands_.fail_call(0);
    EXPECT_EQ(publish(other_node_, room, "refused").status, publish_status::closed);
    ASSERT_EQ(publish(other_node_, barrier, "barrier").id, ++barrier_id);
    ASSERT_TRUE(sink_.wait_until(barrier, [&](const auto& events) {
      return has_appended(events, barrier_id);
    }));
    const auto events = sink_.of(room);
    ASSERT_EQ(events.size(), 3u) << "n = " << n << ": recall, id 1, close";
    EXPECT_EQ(events[1].type, recording_sink::kind::append);
    EXPECT_EQ(ids_of(events[1].messages), std::vector<std::int64_t>{1});
    EXPECT_EQ(events[2].type, recording_sink::kind::close);
  }
  ASSERT_TRUE(reached_the_end);
}

}  // namespace
}  // namespace livechat::broker
