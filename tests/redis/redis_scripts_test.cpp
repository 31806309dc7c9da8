// The Lua scripts' contracts (src/redis/scripts/*.lua) on a real redis-server.

#include "redis/scripts.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "../support/redis_server.hpp"
#include "redis/command_client.hpp"
#include "redis/key_layout.hpp"
#include "redis/subscriber.hpp"
#include "redis_test_support.hpp"

namespace livechat::redis {
namespace {

using boost::system::error_code;
using test::redis_server;
using test::run_until;

constexpr std::string_view room_id = "5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5";

struct outcome {
  error_code error;
  reply answer;
};

std::string payload(std::string_view sender, std::string_view contents) {
  boost::json::object message{{"type", "message"}, {"roomId", room_id}, {"sender", sender},
                              {"contents", contents}};
  return boost::json::serialize(message);
}

class RedisScripts : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = start_client("lc-scripts");
    ASSERT_TRUE(run_until(io_, [&] { return client_->connected(); }));
  }

  void TearDown() override {
    if (subscriber_) subscriber_->close();
    for (auto& client : clients_) client->close();
    io_.restart();
    io_.run();
  }

  std::shared_ptr<command_client> start_client(std::string name) {
    auto config = server_.config();
    config.client_name = std::move(name);
    auto client = command_client::create(io_.get_executor(), config);
    client->start();
    clients_.push_back(client);
    return client;
  }

  /// Subscribes to the room's channel; returns the payloads it will receive there.
  const std::vector<std::string>& listen_to_room() {
    subscriber_ = subscriber::create(io_.get_executor(), server_.config());
    subscriber_->set_message_handler([this](std::string_view, std::string_view message, std::string_view) {
      published_.emplace_back(message);
    });
    subscriber_->subscribe(keys_.channel);
    subscriber_->start();
    EXPECT_TRUE(run_until(io_, [&] { return subscriber_->connected(); }));
    return published_;
  }

  /// Starts the publish script on `client` for `payloads`; the outcome lands in `result`.
  void start_publish(command_client& client, const std::vector<std::string>& payloads,
                     std::optional<outcome>& result, std::string_view sender = "",
                     int history_size = 1000) {
    std::string size = std::to_string(history_size);
    std::vector<std::string_view> keys = {keys_.state, keys_.history, keys_.left, keys_.handoff};
    std::vector<std::string_view> args = {room_id, keys_.channel, size, sender};
    args.insert(args.end(), payloads.begin(), payloads.end());
    client.evalsha(scripts::publish(), keys, args,
                   [&result](error_code error, reply answer) { result = outcome{error, std::move(answer)}; });
  }

  outcome publish(const std::vector<std::string>& payloads, std::string_view sender = "",
                  int history_size = 1000) {
    std::optional<outcome> result;
    start_publish(*client_, payloads, result, sender, history_size);
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    EXPECT_FALSE(result->error) << result->answer.text;
    return *result;
  }

  outcome control(std::string_view kind, std::string_view user = "") {
    std::vector<std::string_view> keys = {keys_.state, keys_.history, keys_.left};
    std::vector<std::string_view> args = {kind, room_id, keys_.channel, user};
    std::optional<outcome> result;
    client_->evalsha(scripts::control(), keys, args,
                     [&](error_code error, reply answer) { result = outcome{error, std::move(answer)}; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    EXPECT_FALSE(result->error) << result->answer.text;
    return *result;
  }

  /// saver_commit for `ranges` of this room (first, last), acknowledging `entries`.
  outcome commit(const std::vector<std::pair<long long, long long>>& ranges,
                 const std::vector<std::string>& entries = {}, int history_size = 1000) {
    std::vector<std::string> owned = {std::string(saver_group), std::to_string(history_size),
                                      std::to_string(ranges.size())};
    std::vector<std::string_view> keys = {keys_.handoff};
    for (auto [first, last] : ranges) {
      keys.insert(keys.end(), {keys_.state, keys_.history, keys_.commits});
      owned.push_back(std::to_string(first));
      owned.push_back(std::to_string(last));
    }
    owned.insert(owned.end(), entries.begin(), entries.end());
    std::vector<std::string_view> args(owned.begin(), owned.end());
    std::optional<outcome> result;
    client_->evalsha(scripts::saver_commit(), keys, args,
                     [&](error_code error, reply answer) { result = outcome{error, std::move(answer)}; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    EXPECT_FALSE(result->error) << result->answer.text;
    return *result;
  }

  /// What billing_claim answers.
  struct claim_answer {
    long long ids = 0;
    long long raw = 0;
    long long covered = 0;
    long long holding = 0;

    std::pair<long long, long long> counts() const { return {ids, raw}; }
    bool operator==(const claim_answer&) const = default;
  };

  /// billing_claim by `node` (claim `number`) of id `ranges` and raw buckets (time, count),
  /// with a skew guard of 50 ms; `stopping` releases the lease.
  claim_answer claim(std::string_view node, int number,
                     const std::vector<std::pair<long long, long long>>& ranges,
                     const std::vector<std::pair<long long, long long>>& raw = {},
                     int lease_ms = 60000, bool stopping = false) {
    const auto keys = billing_keys_for(room_id);
    std::vector<std::string> owned = {std::string(node), std::to_string(number),
                                      std::to_string(lease_ms), "3600", "50",
                                      stopping ? "1" : "0", std::to_string(raw.size())};
    for (auto [time, count] : raw) {
      owned.push_back(std::to_string(time));
      owned.push_back(std::to_string(count));
    }
    for (auto [first, last] : ranges) {
      owned.push_back(std::to_string(first));
      owned.push_back(std::to_string(last));
    }
    const std::vector<std::string_view> key_views = {keys.billed, keys.raw_biller, keys.claims};
    const std::vector<std::string_view> args(owned.begin(), owned.end());
    std::optional<outcome> result;
    client_->evalsha(scripts::billing_claim(), key_views, args,
                     [&](error_code error, reply answer) { result = outcome{error, std::move(answer)}; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    EXPECT_FALSE(result->error) << result->answer.text;
    const auto& answer = result->answer.elements;
    return {answer.at(0).integer, answer.at(1).integer, answer.at(2).integer, answer.at(3).integer};
  }

  /// The raw lease's holder, empty when it is free.
  std::string raw_lease_holder() {
    return server_.command({"GET", billing_keys_for(room_id).raw_biller}).text;
  }

  /// The history stream's entry ids, in order.
  std::vector<std::string> history_ids() {
    std::vector<std::string> ids;
    for (auto& entry : server_.command({"XRANGE", keys_.history, "-", "+"}).elements) {
      ids.push_back(entry.elements.at(0).text);
    }
    return ids;
  }

  redis_server server_;
  boost::asio::io_context io_;
  std::vector<std::shared_ptr<command_client>> clients_;
  std::shared_ptr<command_client> client_;
  std::shared_ptr<subscriber> subscriber_;
  std::vector<std::string> published_;
  room_keys keys_ = keys_for_room(room_id);
};

TEST_F(RedisScripts, PublishKeepsMessagesInHistoryAndHandOffAndPublishesThemOnce) {
  auto& published = listen_to_room();

  auto first = publish({payload("ann", "one")});
  EXPECT_TRUE(first.answer.elements.at(0).is("ok"));
  EXPECT_EQ(first.answer.elements.at(1).integer, 1);
  auto next = publish({payload("ann", "two"), payload("bob", "three")});
  EXPECT_EQ(next.answer.elements.at(1).integer, 2);

  EXPECT_EQ(history_ids(), (std::vector<std::string>{"1-0", "2-0", "3-0"}));
  auto third = server_.command({"XRANGE", keys_.history, "3-0", "3-0"}).elements.at(0);
  auto stored = boost::json::parse(third.elements.at(1).elements.at(1).text).as_object();
  EXPECT_EQ(stored.at("id").as_int64(), 3);
  EXPECT_EQ(stored.at("contents").as_string(), "three");
  EXPECT_EQ(stored.at("sender").as_string(), "bob");

  auto handoff = server_.command({"XRANGE", keys_.handoff, "-", "+"}).elements;
  ASSERT_EQ(handoff.size(), 3u);
  for (std::size_t i = 0; i < handoff.size(); ++i) {
    auto& fields = handoff[i].elements.at(1).elements;
    EXPECT_EQ(fields.at(0).text, "room");
    EXPECT_EQ(fields.at(1).text, room_id);
    EXPECT_EQ(fields.at(2).text, "id");
    EXPECT_EQ(fields.at(3).text, std::to_string(i + 1));
    EXPECT_EQ(boost::json::parse(fields.at(5).text).at("id").as_int64(), static_cast<long long>(i + 1));
  }

  ASSERT_TRUE(run_until(io_, [&] { return published.size() == 2; }));
  auto batch = boost::json::parse(published[1]).as_array();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].at("id").as_int64(), 2);
  EXPECT_EQ(batch[1].at("id").as_int64(), 3);
  EXPECT_EQ(batch[1].at("contents").as_string(), "three");
}

TEST_F(RedisScripts, IdsHaveNoGapOrRepeatAcrossManyConcurrentPublishers) {
  constexpr int publishers = 4;
  constexpr int publishes_each = 250;
  std::vector<std::shared_ptr<command_client>> connections;
  for (int p = 0; p < publishers; ++p) connections.push_back(start_client("lc-pub-" + std::to_string(p)));
  ASSERT_TRUE(run_until(io_, [&] {
    return std::all_of(connections.begin(), connections.end(), [](auto& c) { return c->connected(); });
  }));

  // Every publish of every connection is in flight at once; sizes 1, 2, 3 in turn.
  std::vector<std::optional<outcome>> results(publishers * publishes_each);
  std::vector<int> sizes(results.size());
  std::vector<std::string> senders = {"p0", "p1", "p2", "p3"};
  for (int i = 0; i < publishes_each; ++i) {
    for (int p = 0; p < publishers; ++p) {
      auto index = static_cast<std::size_t>(i * publishers + p);
      sizes[index] = 1 + static_cast<int>(index % 3);
      std::vector<std::string> batch(sizes[index], payload(senders[p], "m"));
      start_publish(*connections[p], batch, results[index]);
    }
  }
  ASSERT_TRUE(run_until(io_, [&] {
    return std::all_of(results.begin(), results.end(), [](auto& r) { return r.has_value(); });
  }));

  std::vector<std::pair<long long, long long>> ranges;
  long long total = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_FALSE(results[i]->error) << results[i]->answer.text;
    long long first = results[i]->answer.elements.at(1).integer;
    ranges.emplace_back(first, first + sizes[i] - 1);
    total += sizes[i];
  }
  std::sort(ranges.begin(), ranges.end());
  long long expected = 1;
  for (auto [first, last] : ranges) {
    ASSERT_EQ(first, expected);
    expected = last + 1;
  }
  EXPECT_EQ(expected - 1, total);
  EXPECT_EQ(server_.command({"XLEN", keys_.history}).integer, total);
  EXPECT_EQ(server_.command({"XLEN", keys_.handoff}).integer, total);
  EXPECT_EQ(server_.command({"HGET", keys_.state, "seq"}).text, std::to_string(total));
}

TEST_F(RedisScripts, ClosedRoomsRefuseEveryPublishAndTheEventFollowsTheMessages) {
  auto& published = listen_to_room();

  publish({payload("ann", "one"), payload("ann", "two")});
  auto closed = control("closed");
  EXPECT_TRUE(closed.answer.elements.at(0).is("ok"));
  EXPECT_EQ(closed.answer.elements.at(1).integer, 2);
  EXPECT_TRUE(control("closed").answer.elements.at(0).is("already"));

  auto refused = publish({payload("ann", "three")});
  EXPECT_TRUE(refused.answer.elements.at(0).is("closed"));
  EXPECT_EQ(refused.answer.elements.at(1).integer, 2);
  EXPECT_EQ(server_.command({"HGET", keys_.state, "seq"}).text, "2");
  EXPECT_EQ(server_.command({"XLEN", keys_.handoff}).integer, 2);

  // In history, the event sits after message 2; on the channel, after the messages, once.
  EXPECT_EQ(history_ids(), (std::vector<std::string>{"1-0", "2-0", "2-1"}));
  ASSERT_TRUE(run_until(io_, [&] { return published.size() == 2; }));
  auto event = boost::json::parse(published[1]).as_array().at(0).as_object();
  EXPECT_EQ(event.at("type").as_string(), "closed");
  EXPECT_EQ(event.at("roomId").as_string(), room_id);
  EXPECT_EQ(event.at("lastId").as_int64(), 2);
}

TEST_F(RedisScripts, EndedSessionsRefusePublishes) {
  EXPECT_TRUE(control("ended").answer.elements.at(0).is("ok"));
  auto refused = publish({payload("tenant", "late")});
  EXPECT_TRUE(refused.answer.elements.at(0).is("ended"));
  EXPECT_EQ(refused.answer.elements.at(1).integer, 0);
  // The end before any message sits at 0-1, before message 1 would.
  EXPECT_EQ(history_ids(), (std::vector<std::string>{"0-1"}));
}

TEST_F(RedisScripts, ASenderWhoLeftIsRefusedUntilRejoinedAndOthersAreNot) {
  publish({payload("ann", "hello")}, "ann");
  auto left = control("left", "ann");
  EXPECT_TRUE(left.answer.elements.at(0).is("ok"));
  EXPECT_TRUE(control("left", "ann").answer.elements.at(0).is("already"));

  EXPECT_TRUE(publish({payload("ann", "late")}, "ann").answer.elements.at(0).is("left"));
  auto other = publish({payload("bob", "still here")}, "bob");
  EXPECT_TRUE(other.answer.elements.at(0).is("ok"));
  EXPECT_EQ(other.answer.elements.at(1).integer, 2);

  auto event = server_.command({"XRANGE", keys_.history, "1-1", "1-1"}).elements.at(0);
  auto json = boost::json::parse(event.elements.at(1).elements.at(1).text).as_object();
  EXPECT_EQ(json.at("type").as_string(), "left");
  EXPECT_EQ(json.at("userId").as_string(), "ann");
  EXPECT_EQ(json.at("lastId").as_int64(), 1);

  EXPECT_TRUE(control("joined", "ann").answer.elements.at(0).is("ok"));
  EXPECT_EQ(publish({payload("ann", "back")}, "ann").answer.elements.at(1).integer, 3);
  EXPECT_EQ(history_ids(), (std::vector<std::string>{"1-0", "1-1", "2-0", "3-0"}));
}

TEST_F(RedisScripts, APayloadThatIsNotAJsonObjectIsRefusedWithNothingWritten) {
  std::optional<outcome> result;
  start_publish(*client_, {payload("ann", "fine"), "not json"}, result);
  ASSERT_TRUE(run_until(io_, [&] { return result.has_value(); }));
  EXPECT_EQ(result->error, errc::server_error);
  EXPECT_TRUE(server_.command({"HGET", keys_.state, "seq"}).is_nil());
  EXPECT_EQ(server_.command({"EXISTS", keys_.history}).integer, 0);
}

TEST_F(RedisScripts, HistoryIsTrimmedToItsSizeButNeverAboveTheSaversWatermark) {
  constexpr int history_size = 5;
  for (int i = 0; i < 20; ++i) publish({payload("ann", std::to_string(i))}, "", history_size);
  // Nothing committed yet: all 20 stay.
  EXPECT_EQ(server_.command({"XLEN", keys_.history}).integer, 20);

  EXPECT_EQ(commit({{1, 12}}, {}, history_size).answer.elements.at(1).integer, 12);
  EXPECT_EQ(history_ids().front(), "13-0");  // 13…20: not yet in the database
  EXPECT_EQ(server_.command({"XLEN", keys_.history}).integer, 8);

  EXPECT_EQ(commit({{13, 20}}, {}, history_size).answer.elements.at(1).integer, 20);
  EXPECT_EQ(history_ids().front(), "16-0");  // the latest 5
  publish({payload("ann", "21")}, "", history_size);
  EXPECT_EQ(history_ids().front(), "17-0");  // only what is committed goes
  publish({payload("ann", "22")}, "", history_size);
  EXPECT_EQ(history_ids().front(), "18-0");
  EXPECT_EQ(history_ids().back(), "22-0");
  publish({payload("ann", "23")}, "", history_size);
  EXPECT_EQ(history_ids().front(), "19-0");
  publish({payload("ann", "24")}, "", history_size);
  EXPECT_EQ(history_ids().front(), "20-0");
  publish({payload("ann", "25")}, "", history_size);
  EXPECT_EQ(history_ids().front(), "21-0");  // 21 is not committed: the trim stops here
  publish({payload("ann", "26")}, "", history_size);
  EXPECT_EQ(history_ids().front(), "21-0");
  EXPECT_EQ(server_.command({"XLEN", keys_.history}).integer, 6);
}

TEST_F(RedisScripts, TheWatermarkWaitsForAGapCommittedByAnotherSaver) {
  for (int i = 0; i < 30; ++i) publish({payload("ann", std::to_string(i))});
  EXPECT_EQ(commit({{1, 10}}).answer.elements.at(1).integer, 10);
  // 21…30 committed by one saver while 11…20 are still held by another.
  EXPECT_EQ(commit({{21, 30}}).answer.elements.at(1).integer, 10);
  EXPECT_EQ(server_.command({"HGET", keys_.state, "committed"}).text, "10");
  EXPECT_EQ(commit({{11, 20}}).answer.elements.at(1).integer, 30);
  EXPECT_EQ(server_.command({"ZCARD", keys_.commits}).integer, 0);
  // Committing again (a retried batch) never moves it back.
  EXPECT_EQ(commit({{1, 5}}).answer.elements.at(1).integer, 30);
}

TEST_F(RedisScripts, SaverCommitAcknowledgesAndRemovesHandOffEntries) {
  publish({payload("ann", "a"), payload("ann", "b"), payload("ann", "c")});
  server_.command({"XGROUP", "CREATE", keys_.handoff, std::string(saver_group), "0"});
  auto read = server_.command({"XREADGROUP", "GROUP", std::string(saver_group), "saver-1", "COUNT",
                               "2", "STREAMS", keys_.handoff, ">"});
  auto& entries = read.elements.at(0).elements.at(1).elements;
  ASSERT_EQ(entries.size(), 2u);
  std::vector<std::string> entry_ids = {entries[0].elements.at(0).text, entries[1].elements.at(0).text};

  auto result = commit({{1, 2}}, entry_ids);
  EXPECT_EQ(result.answer.elements.at(0).integer, 2);
  EXPECT_EQ(result.answer.elements.at(1).integer, 2);
  EXPECT_EQ(server_.command({"XPENDING", keys_.handoff, std::string(saver_group)}).elements.at(0).integer, 0);
  // What is left is the saver's lag: the one entry nobody committed.
  EXPECT_EQ(server_.command({"XLEN", keys_.handoff}).integer, 1);
}


TEST_F(RedisScripts, BillingClaimCountsEachIdOnceWhateverNodesAndRangesClaimIt) {
  using counts = std::pair<long long, long long>;
  EXPECT_EQ(claim("node-a", 1, {{1, 30}}).counts(), counts(30, 0));
  // Node B delivered 20…45: only 31…45 are new. Ranges that cross and miss byte boundaries.
  EXPECT_EQ(claim("node-b", 1, {{3, 5}, {20, 45}}).counts(), counts(15, 0));
  EXPECT_EQ(claim("node-a", 2, {{31, 50}, {52, 52}}).counts(), counts(6, 0));  // 46…50 and 52
  EXPECT_EQ(claim("node-b", 2, {{1, 1000}}).counts(), counts(1000 - 51, 0));
  EXPECT_EQ(server_.command({"BITCOUNT", billing_keys_for(room_id).billed}).integer, 1000);
  EXPECT_GT(server_.command({"TTL", billing_keys_for(room_id).billed}).integer, 0);
}

TEST_F(RedisScripts, BillingClaimSentAgainGetsItsFirstAnswerBack) {
  const claim_answer first = claim("node-a", 7, {{1, 10}}, {{1000, 2}, {1010, 1}});
  EXPECT_EQ(first, (claim_answer{10, 3, 1010, 1}));
  // Meanwhile node B claims the same raw messages and one more, while A holds the lease.
  EXPECT_EQ(claim("node-b", 1, {}, {{1000, 2}, {1010, 1}, {1100, 1}}),
            (claim_answer{0, 0, 1060, 0}));
  // A's claim 7 again (its reply was lost): the same answer, its mark included, and nothing
  // counted or moved.
  EXPECT_EQ(claim("node-a", 7, {{1, 10}}, {{1000, 2}, {1010, 1}}), first);
  EXPECT_EQ(server_.command({"HGET", billing_keys_for(room_id).claims, "raw-mark"}).text,
            "1010 node-a");
  EXPECT_EQ(raw_lease_holder(), "node-a");
  EXPECT_EQ(claim("node-a", 8, {{1, 10}}, {{1100, 1}}), (claim_answer{0, 1, 1100, 1}));
}

TEST_F(RedisScripts, BillingClaimCountsRawMessagesOnTheLeaseHolderOnly) {
  // Both nodes received the same three raw messages, at the same times.
  const std::vector<std::pair<long long, long long>> same = {{1000, 2}, {1010, 1}};
  EXPECT_EQ(claim("node-a", 1, {}, same), (claim_answer{0, 3, 1010, 1}));  // takes the lease
  EXPECT_EQ(raw_lease_holder(), "node-a");
  // B's are covered by A's mark (1010 and the 50 ms guard): not counted again, and the lease
  // stays A's.
  EXPECT_EQ(claim("node-b", 1, {}, same), (claim_answer{0, 0, 1060, 0}));
  // Newer ones than the mark, while A holds it: B counts none, and keeps them (above 1060).
  EXPECT_EQ(claim("node-b", 2, {}, {{1500, 1}}), (claim_answer{0, 0, 1060, 0}));
  EXPECT_EQ(claim("node-a", 2, {}, {{1500, 1}}), (claim_answer{0, 1, 1500, 1}));  // renews it
  EXPECT_EQ(claim("node-b", 3, {}, {{1500, 1}}), (claim_answer{0, 0, 1550, 0}));  // covered now
  EXPECT_EQ(raw_lease_holder(), "node-a");
}

TEST_F(RedisScripts, BillingClaimOfAStoppingHolderReleasesTheLeaseAtItsMark) {
  EXPECT_EQ(claim("node-a", 1, {}, {{1000, 2}}), (claim_answer{0, 2, 1000, 1}));
  // B delivered those, and two more A did not: it keeps those while A holds the lease.
  EXPECT_EQ(claim("node-b", 1, {}, {{1000, 2}, {1200, 1}, {1300, 1}}),
            (claim_answer{0, 0, 1050, 0}));
  // A stops, with one more it delivered: counted, and the lease released.
  EXPECT_EQ(claim("node-a", 2, {}, {{1100, 1}}, 60000, true), (claim_answer{0, 1, 1100, 0}));
  EXPECT_EQ(raw_lease_holder(), "");
  // B claims what it kept: what came after A's mark (1100) and the guard, and takes the lease.
  EXPECT_EQ(claim("node-b", 2, {}, {{1200, 1}, {1300, 1}}), (claim_answer{0, 2, 1300, 1}));
  EXPECT_EQ(raw_lease_holder(), "node-b");
}

TEST_F(RedisScripts, BillingClaimWithoutRawMessagesReleasesTheHoldersLease) {
  EXPECT_EQ(claim("node-a", 1, {{1, 2}}, {{1000, 1}}), (claim_answer{2, 1, 1000, 1}));
  // An interval without raw messages (its listeners left): A lets the lease go at once.
  EXPECT_EQ(claim("node-a", 2, {{3, 4}}), (claim_answer{2, 0, 1000, 0}));
  EXPECT_EQ(raw_lease_holder(), "");
  // B counts from A's mark on: 1040 is within the guard, 1060 after it.
  EXPECT_EQ(claim("node-b", 1, {}, {{1000, 1}, {1040, 1}, {1060, 3}}),
            (claim_answer{0, 3, 1060, 1}));
  // A lease nobody renews lapses on its own (a holder that died): then another node counts.
  server_.command({"PEXPIRE", billing_keys_for(room_id).raw_biller, "1"});
  ASSERT_TRUE(run_until(io_, [&] { return raw_lease_holder().empty(); }));
  EXPECT_EQ(claim("node-a", 3, {}, {{1060, 3}, {1200, 1}}), (claim_answer{0, 1, 1200, 1}));
}

}  // namespace
}  // namespace livechat::redis
