// The saver (src/saver/) against a real redis-server and a real PostgreSQL: hand-off entries
// written by the publish script end up in the database once each and leave Redis, whatever
// fails on the way.

#include "saver/saver_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../redis/redis_test_support.hpp"
#include "../support/postgres_server.hpp"
#include "../support/redis_server.hpp"
#include "protocol/message_json.hpp"
#include "redis/key_layout.hpp"
#include "redis/scripts.hpp"
#include "store/postgres_store.hpp"

namespace livechat::saver {
namespace {

using test::run_until;

// Rooms on different shards, so that a batch spans several streams and commit calls.
constexpr std::string_view room_a = "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr std::string_view room_b = "5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5";

model::message message_of(std::string_view room, std::int64_t n) {
  return {std::string(room), n, "alice", "message " + std::to_string(n),
          model::from_epoch_ms(1'700'000'000'000 + n), n % 2 ? "Alice" : "", ""};
}

class SaverTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(redis::shard_of(room_a), redis::shard_of(room_b)); }

  void TearDown() override {
    if (service_) stop_saver();
  }

  /// Runs the publish script for `count` messages of `room`, as a node would; returns the
  /// first id they got.
  long long publish(std::string_view room, int count) {
    const redis::room_keys keys = redis::keys_for_room(room);
    std::vector<std::string> command = {"EVAL", std::string(redis::scripts::publish().source()),
                                        "4", keys.state, keys.history, keys.left, keys.handoff,
                                        std::string(room), keys.channel, "1000", ""};
    const long long next = last_id(room) + 1;
    for (int i = 0; i < count; ++i) {
      boost::json::object json = protocol::message_to_json(message_of(room, next + i));
      json.erase("id");  // the script gives ids
      command.push_back(boost::json::serialize(json));
    }
    const redis::reply answer = redis_.command(command);
    EXPECT_EQ(answer.elements.at(0).text, "ok");
    return answer.elements.at(1).integer;
  }

  long long last_id(std::string_view room) {
    const redis::reply seq = redis_.command({"HGET", redis::keys_for_room(room).state, "seq"});
    return seq.is_nil() ? 0 : std::stoll(seq.text);
  }

  long long handoff_length() {
    long long total = 0;
    for (int shard = 0; shard < redis::shard_count; ++shard) {
      total += redis_.command({"XLEN", redis::handoff_key(shard)}).integer;
    }
    return total;
  }

  long long pending() {
    long long total = 0;
    for (int shard = 0; shard < redis::shard_count; ++shard) {
      const redis::reply summary =
          redis_.command({"XPENDING", redis::handoff_key(shard), redis::saver_group});
      if (!summary.is_error()) total += summary.elements.at(0).integer;
    }
    return total;
  }

  std::string committed(std::string_view room) {
    return redis_.command({"HGET", redis::keys_for_room(room).state, "committed"}).text;
  }

  /// Reads up to `count` new entries of every shard as `consumer` and leaves them pending, as
  /// a saver that died right after its read would.
  std::size_t read_without_ack(std::string_view consumer, int count = 1000) {
    for (int shard = 0; shard < redis::shard_count; ++shard) {
      redis_.command({"XGROUP", "CREATE", redis::handoff_key(shard), redis::saver_group, "0",
                      "MKSTREAM"});
    }
    std::vector<std::string> command = {"XREADGROUP", "GROUP", std::string(redis::saver_group),
                                        std::string(consumer), "COUNT", std::to_string(count),
                                        "STREAMS"};
    for (int shard = 0; shard < redis::shard_count; ++shard) command.push_back(redis::handoff_key(shard));
    for (int shard = 0; shard < redis::shard_count; ++shard) command.push_back(">");
    std::size_t entries = 0;
    for (const auto& stream : redis_.command(command).elements) entries += stream.elements.at(1).elements.size();
    return entries;
  }

  void start_saver(saver_options options = {}) {
    if (options.consumer == "saver") options.consumer = "saver-under-test";
    options.block = std::chrono::milliseconds(100);
    options.retry_delay = std::chrono::milliseconds(50);
    service_.emplace(io_.get_executor(), redis_.config(), database_, options);
    service_->start();
  }

  void stop_saver() {
    bool stopped = false;
    service_->stop([&] { stopped = true; });
    EXPECT_TRUE(run_until(io_, [&] { return stopped; }));
    service_.reset();
  }

  std::uint64_t saved() const { return service_->stats().messages_saved.load(); }

  std::vector<std::int64_t> stored_ids(std::string_view room) {
    std::vector<std::int64_t> ids;
    for (const auto& message : database_.messages_after(room, 0, 100'000)) ids.push_back(message.id);
    return ids;
  }

  static std::vector<std::int64_t> one_to(std::int64_t last) {
    std::vector<std::int64_t> ids;
    for (std::int64_t id = 1; id <= last; ++id) ids.push_back(id);
    return ids;
  }

  test::redis_server redis_;
  std::string database_url_ = test::postgres_server::shared().create_database();
  store::postgres_store database_{database_url_, 4};
  boost::asio::io_context io_;
  std::optional<saver_service> service_;
};

TEST_F(SaverTest, SavesABatchAndAcknowledgesIt) {
  publish(room_a, 10);
  publish(room_b, 5);
  start_saver();
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 15; }));

  EXPECT_EQ(stored_ids(room_a), one_to(10));
  EXPECT_EQ(stored_ids(room_b), one_to(5));
  const auto messages = database_.messages_after(room_a, 0, 10);
  const model::message expected = message_of(room_a, 3);
  EXPECT_EQ(messages.at(2).sender, expected.sender);
  EXPECT_EQ(messages.at(2).contents, expected.contents);
  EXPECT_EQ(messages.at(2).sent_at, expected.sent_at);
  EXPECT_EQ(messages.at(2).nickname, expected.nickname);
  EXPECT_EQ(handoff_length(), 0);
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(committed(room_a), "10");
  EXPECT_EQ(committed(room_b), "5");
  EXPECT_GE(service_->stats().batches.load(), 1u);

  // Later messages: the next batch moves the watermark on.
  publish(room_a, 3);
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 18; }));
  EXPECT_EQ(stored_ids(room_a), one_to(13));
  EXPECT_EQ(committed(room_a), "13");
  EXPECT_EQ(handoff_length(), 0);
}

// A saver that stored a batch and died before saver_commit: its successor (same consumer
// name) reads the same entries back from its pending list and stores them again.
TEST_F(SaverTest, EntriesSavedTwiceAreOneRowEach) {
  publish(room_a, 20);
  ASSERT_EQ(read_without_ack("saver-1"), 20u);
  std::vector<model::message> first_store;
  for (std::int64_t id = 1; id <= 20; ++id) first_store.push_back(message_of(room_a, id));
  first_store[4].contents = "stored by the saver that died";
  database_.append_messages(first_store);

  saver_options options;
  options.consumer = "saver-1";
  start_saver(options);
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 20; }));

  EXPECT_EQ(stored_ids(room_a), one_to(20));
  EXPECT_EQ(database_.messages_after(room_a, 4, 1).at(0).contents, "stored by the saver that died");
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(handoff_length(), 0);
  EXPECT_EQ(committed(room_a), "20");
  EXPECT_EQ(service_->stats().entries_claimed.load(), 0u);  // its own, not claimed
}

TEST_F(SaverTest, ClaimsWhatADeadSaverLeftPending) {
  publish(room_a, 7);
  publish(room_b, 4);
  ASSERT_EQ(read_without_ack("dead-saver"), 11u);
  publish(room_a, 2);  // new entries, never read

  saver_options options;
  options.consumer = "live-saver";
  options.claim_min_idle = std::chrono::milliseconds(300);
  options.claim_interval = std::chrono::milliseconds(50);
  start_saver(options);
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 13; }));

  EXPECT_EQ(service_->stats().entries_claimed.load(), 11u);
  EXPECT_EQ(stored_ids(room_a), one_to(9));
  EXPECT_EQ(stored_ids(room_b), one_to(4));
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(handoff_length(), 0);
  EXPECT_EQ(committed(room_a), "9");
}

TEST_F(SaverTest, KeepsGoingAcrossRedisAndPostgresRestarts) {
  start_saver();
  publish(room_a, 5);
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 5; }));

  redis_.kill_hard();
  redis_.restart();  // AOF with fsync always: the group and the watermark are back
  publish(room_a, 5);
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 10; }));
  EXPECT_GE(service_->redis_stats().reconnects.load(), 1u);

  auto& postgres = test::postgres_server::shared();
  postgres.kill9();
  publish(room_b, 4);
  ASSERT_TRUE(run_until(io_, [&] { return service_->stats().failures.load() >= 1; }));
  postgres.start();
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 14; }, std::chrono::seconds(30)));

  EXPECT_EQ(stored_ids(room_a), one_to(10));
  EXPECT_EQ(stored_ids(room_b), one_to(4));
  EXPECT_EQ(handoff_length(), 0);
  EXPECT_EQ(pending(), 0);
}

TEST_F(SaverTest, StopFinishesAndLeavesNothingRunning) {
  start_saver();
  publish(room_a, 3);
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 3; }));
  stop_saver();
  // Nothing is left waiting on the io_context: it runs out of work instead of for 10 s.
  io_.restart();
  const auto started = std::chrono::steady_clock::now();
  io_.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(io_.stopped());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(SaverTest, AcknowledgesAnUnreadableEntryWithoutStoringIt) {
  const redis::room_keys keys = redis::keys_for_room(room_a);
  redis_.command({"HSET", keys.state, "seq", "1"});
  redis_.command({"XADD", keys.handoff, "*", "room", std::string(room_a), "id", "1", "m", "not json"});
  publish(room_a, 1);  // id 2

  start_saver();
  ASSERT_TRUE(run_until(io_, [&] { return saved() == 2; }));
  EXPECT_EQ(service_->stats().unreadable_entries.load(), 1u);
  EXPECT_EQ(stored_ids(room_a), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(committed(room_a), "2");
  EXPECT_EQ(handoff_length(), 0);
}

}  // namespace
}  // namespace livechat::saver
