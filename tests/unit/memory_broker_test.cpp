#include "broker/memory_broker.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fanout/room_hub.hpp"
#include "fanout_test_support.hpp"
#include "store_test_support.hpp"

namespace livechat::broker {
namespace {

using livechat::testing::failing_store;
using livechat::testing::id_range;
using livechat::testing::ids_of;
using livechat::testing::temp_database;

constexpr std::int64_t after_nothing = std::numeric_limits<std::int64_t>::max();

// One acknowledgement as the broker reported it.
struct ack {
  bool ok = false;
  std::vector<model::message> kept;
  publish_status status = publish_status::unavailable;
};

// Collects acknowledgements (they come on the writer thread) and waits for them.
class ack_collector {
 public:
  publish_callback callback() {
    return [this](publish_status status, std::span<const model::message> kept) {
      std::scoped_lock lock{mutex_};
      acks_.push_back(ack{status == publish_status::kept, {kept.begin(), kept.end()}, status});
      changed_.notify_all();
    };
  }

  // Waits (up to a minute) for `count` acknowledgements in all, and returns them in the order
  // they came.
  std::vector<ack> wait_for(std::size_t count) {
    std::unique_lock lock{mutex_};
    const bool arrived = changed_.wait_for(lock, std::chrono::minutes(1),
                                           [&] { return acks_.size() >= count; });
    EXPECT_TRUE(arrived) << acks_.size() << " of " << count << " acknowledgements came";
    return acks_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ack> acks_;
};

model::message unsent(const std::string& room_id, const std::string& contents) {
  model::message message;
  message.room_id = room_id;
  message.id = -1;  // ignored: the broker assigns ids
  message.sender = "alice";
  message.contents = contents;
  message.sent_at = model::from_epoch_ms(1'700'000'000'000);
  return message;
}

std::vector<model::message> one(const std::string& room_id, const std::string& contents) {
  return {unsent(room_id, contents)};
}

class MemoryBrokerTest : public ::testing::Test {
 protected:
  // The batches the hub handed to its one I/O thread, in order.
  std::vector<std::shared_ptr<const fanout::batch>> delivered() {
    std::scoped_lock lock{delivered_mutex_};
    return delivered_;
  }

  // Every message id the hub delivered for `room_id`, and whether it ended with `closed`.
  std::vector<std::int64_t> delivered_ids(const std::string& room_id, bool* closed = nullptr) {
    std::vector<std::int64_t> ids;
    for (const auto& each : delivered()) {
      if (each->room_id != room_id) continue;
      for (const auto& message : each->messages) ids.push_back(message.id);
      if (closed != nullptr) *closed = each->closes_room;
    }
    return ids;
  }

  temp_database database_;
  store::sqlite_store sqlite_{database_.path()};
  failing_store store_{sqlite_};
  std::mutex delivered_mutex_;
  std::vector<std::shared_ptr<const fanout::batch>> delivered_;
  fanout::room_hub hub_{1, 10'000, [this](std::size_t, fanout::batch_list batches) {
                          std::scoped_lock lock{delivered_mutex_};
                          delivered_.insert(delivered_.end(), batches.begin(), batches.end());
                        }};
  memory_broker broker_{store_, hub_};
};

TEST_F(MemoryBrokerTest, AssignsConsecutiveIdsAndKeepsBeforeAcknowledging) {
  hub_.subscribe("room", 0, after_nothing);
  ack_collector acks;
  broker_.publish(one("room", "first"), acks.callback());
  broker_.publish({unsent("room", "second"), unsent("room", "third")}, acks.callback());
  const auto got = acks.wait_for(2);
  ASSERT_EQ(got.size(), 2u);
  ASSERT_TRUE(got[0].ok);
  ASSERT_TRUE(got[1].ok);
  EXPECT_EQ(ids_of(got[0].kept), std::vector<std::int64_t>{1});
  EXPECT_EQ(got[0].kept[0].contents, "first");
  EXPECT_EQ(ids_of(got[1].kept), id_range(2, 3));

  // Acknowledged means kept: the store has them, and the hub too.
  const auto stored = sqlite_.messages_after("room", 0, 100);
  EXPECT_EQ(ids_of(stored), id_range(1, 3));
  EXPECT_EQ(stored[2].contents, "third");
  hub_.flush();
  EXPECT_EQ(delivered_ids("room"), id_range(1, 3));
}

TEST_F(MemoryBrokerTest, ContinuesFromTheIdsTheStoreHolds) {
  sqlite_.append_messages(livechat::testing::make_messages("room", 1, 41));
  ack_collector acks;
  broker_.publish(one("room", "next"), acks.callback());
  const auto got = acks.wait_for(1);
  ASSERT_TRUE(got[0].ok);
  EXPECT_EQ(ids_of(got[0].kept), std::vector<std::int64_t>{42});
}

// 8 publishers, 500 publishes each, into 3 rooms: each room gets exactly 1..N, and the
// acknowledgements of a room come in id order.
TEST_F(MemoryBrokerTest, IdsAreConsecutivePerRoomUnderConcurrentPublishers) {
  constexpr int publishers = 8;
  constexpr int publishes_each = 500;
  const std::vector<std::string> rooms{"room-0", "room-1", "room-2"};
  for (const auto& room_id : rooms) hub_.subscribe(room_id, 0, after_nothing);

  ack_collector acks;
  std::vector<std::thread> threads;
  for (int publisher = 0; publisher < publishers; ++publisher) {
    threads.emplace_back([&, publisher] {
      for (int i = 0; i < publishes_each; ++i) {
        const std::string& room_id = rooms[(publisher + i) % rooms.size()];
        broker_.publish(one(room_id, std::to_string(publisher) + ":" + std::to_string(i)),
                        acks.callback());
        // Flushing meanwhile, as the tick would.
        if (publisher == 0 && i % 50 == 0) hub_.flush();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto got = acks.wait_for(publishers * publishes_each);
  hub_.flush();

  std::map<std::string, std::vector<std::int64_t>> ack_ids;
  std::map<std::string, std::int64_t> last_of_publisher;  // "room publisher" → its last id
  std::map<std::string, std::string> contents_by_key;
  for (const ack& each : got) {
    ASSERT_TRUE(each.ok);
    ASSERT_EQ(each.kept.size(), 1u);
    const model::message& message = each.kept[0];
    ack_ids[message.room_id].push_back(message.id);
    // A publisher's own messages to a room are numbered in the order it published them.
    const std::string publisher = message.contents.substr(0, message.contents.find(':'));
    auto& last = last_of_publisher[message.room_id + " " + publisher];
    EXPECT_GT(message.id, last);
    last = message.id;
    contents_by_key[message.room_id + "#" + std::to_string(message.id)] = message.contents;
  }
  std::int64_t total = 0;
  for (const auto& room_id : rooms) {
    const auto& ids = ack_ids[room_id];
    const auto count = static_cast<std::int64_t>(ids.size());
    total += count;
    EXPECT_EQ(ids, id_range(1, count)) << room_id;  // exactly 1..N, acknowledged in order
    EXPECT_EQ(sqlite_.last_message_id(room_id), count);
    const auto stored = sqlite_.messages_after(room_id, 0, 10'000);
    ASSERT_EQ(ids_of(stored), id_range(1, count));
    for (const auto& message : stored) {
      EXPECT_EQ(message.contents, contents_by_key[room_id + "#" + std::to_string(message.id)]);
    }
    EXPECT_EQ(delivered_ids(room_id), id_range(1, count)) << room_id;
  }
  EXPECT_EQ(total, publishers * publishes_each);
}

// Group commit cannot be seen from outside, but its bookkeeping can go wrong: many publishes in
// flight at once must all be acknowledged, each with its own right id.
TEST_F(MemoryBrokerTest, BurstOfPublishesIsAllAcknowledged) {
  ack_collector acks;
  std::vector<std::thread> threads;
  for (int publisher = 0; publisher < 4; ++publisher) {
    threads.emplace_back([&, publisher] {
      for (int i = 0; i < 50; ++i) {
        broker_.publish({unsent("room", std::to_string(publisher)), unsent("room", "pair")},
                        acks.callback());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto got = acks.wait_for(200);
  std::int64_t expected = 1;
  for (const ack& each : got) {
    ASSERT_TRUE(each.ok);
    EXPECT_EQ(ids_of(each.kept), id_range(expected, expected + 1));
    expected += 2;
  }
  EXPECT_EQ(sqlite_.last_message_id("room"), 400);
}

TEST_F(MemoryBrokerTest, FailedCommitTakesNoIds) {
  hub_.subscribe("room", 0, after_nothing);
  ack_collector acks;
  broker_.publish(one("room", "a"), acks.callback());
  broker_.publish(one("other", "a"), acks.callback());
  acks.wait_for(2);

  store_.fail_appends = true;
  broker_.publish(one("room", "lost"), acks.callback());
  broker_.publish(one("room", "lost too"), acks.callback());
  broker_.publish(one("new-room", "lost"), acks.callback());
  auto got = acks.wait_for(5);
  for (std::size_t i = 2; i < 5; ++i) {
    EXPECT_FALSE(got[i].ok);
    EXPECT_TRUE(got[i].kept.empty());
  }

  store_.fail_appends = false;
  broker_.publish(one("room", "b"), acks.callback());
  broker_.publish(one("new-room", "b"), acks.callback());
  got = acks.wait_for(7);
  ASSERT_TRUE(got[5].ok);
  ASSERT_TRUE(got[6].ok);
  EXPECT_EQ(ids_of(got[5].kept), std::vector<std::int64_t>{2});  // not 4: no gap
  EXPECT_EQ(ids_of(got[6].kept), std::vector<std::int64_t>{1});
  EXPECT_EQ(ids_of(sqlite_.messages_after("room", 0, 100)), id_range(1, 2));
  EXPECT_EQ(sqlite_.messages_after("room", 0, 100)[1].contents, "b");
  hub_.flush();
  EXPECT_EQ(delivered_ids("room"), id_range(1, 2));  // failed messages never reach the hub
}

// The store may fail before the commit too, when the broker first reads a room's last id.
TEST_F(MemoryBrokerTest, FailureToReadTheLastIdTakesNoIds) {
  sqlite_.append_messages(livechat::testing::make_messages("room", 1, 3));
  ack_collector acks;
  store_.fail_last_ids = true;
  broker_.publish(one("room", "lost"), acks.callback());
  auto got = acks.wait_for(1);
  EXPECT_FALSE(got[0].ok);

  store_.fail_last_ids = false;
  broker_.publish(one("room", "kept"), acks.callback());
  got = acks.wait_for(2);
  ASSERT_TRUE(got[1].ok);
  EXPECT_EQ(ids_of(got[1].kept), std::vector<std::int64_t>{4});
  const auto stored = sqlite_.messages_after("room", 0, 100);
  ASSERT_EQ(ids_of(stored), id_range(1, 4));
  EXPECT_EQ(stored[3].contents, "kept");
}

TEST_F(MemoryBrokerTest, CloseIsDeliveredAfterEarlierMessages) {
  hub_.subscribe("room", 0, after_nothing);
  ack_collector acks;
  bool closed_when_last_was_acknowledged = true;
  broker_.publish(one("room", "1"), acks.callback());
  broker_.publish(one("room", "2"), acks.callback());
  broker_.publish(one("room", "3"), [&](publish_status ok, std::span<const model::message> kept) {
    // Runs after message 3 reached the hub and before the close, which was queued after it.
    closed_when_last_was_acknowledged = hub_.subscribe("room", 0, 0).closed;
    hub_.flush();
    acks.callback()(ok, kept);
  });
  broker_.close("room");
  broker_.publish(one("after", "x"), acks.callback());  // the writer is past the close then
  acks.wait_for(4);
  hub_.flush();

  EXPECT_FALSE(closed_when_last_was_acknowledged);
  const auto batches = delivered();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(ids_of(batches[0]->messages), id_range(1, 3));
  EXPECT_FALSE(batches[0]->closes_room);
  EXPECT_TRUE(batches[1]->messages.empty());
  EXPECT_TRUE(batches[1]->closes_room);
  EXPECT_TRUE(hub_.subscribe("room", 0, 0).closed);
}

// A send checked against the store before a close (of a room, or the end of a session: both
// are `close`) that reaches the writer after it: refused, nothing stored, nothing delivered.
TEST_F(MemoryBrokerTest, PublishQueuedAfterACloseIsRefused) {
  hub_.subscribe("room", 0, after_nothing);
  ack_collector acks;
  broker_.publish(one("room", "before"), acks.callback());
  broker_.close("room");  // the close committed in the store between the check and the publish
  broker_.publish(one("room", "checked before the close"), acks.callback());
  broker_.publish(one("other", "elsewhere"), acks.callback());
  const auto got = acks.wait_for(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].status, publish_status::kept);
  EXPECT_EQ(got[1].status, publish_status::closed);
  EXPECT_TRUE(got[1].kept.empty());
  EXPECT_EQ(got[2].status, publish_status::kept);

  EXPECT_EQ(ids_of(sqlite_.messages_after("room", 0, 100)), std::vector<std::int64_t>{1});
  hub_.flush();
  bool closed = false;
  EXPECT_EQ(delivered_ids("room", &closed), std::vector<std::int64_t>{1});
  EXPECT_TRUE(closed);
}

// The same for an exit: the member who left is refused, the others are not.
TEST_F(MemoryBrokerTest, PublishQueuedAfterTheSendersExitIsRefused) {
  hub_.subscribe("room", 0, after_nothing);
  ack_collector acks;
  broker_.left("room", "alice");
  broker_.publish(one("room", "checked before the exit"), acks.callback());  // alice's
  auto bobs = unsent("room", "bob stays");
  bobs.sender = "bob";
  broker_.publish({bobs}, acks.callback());
  const auto got = acks.wait_for(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, publish_status::sender_left);
  EXPECT_TRUE(got[0].kept.empty());
  EXPECT_EQ(got[1].status, publish_status::kept);

  const auto stored = sqlite_.messages_after("room", 0, 100);
  ASSERT_EQ(ids_of(stored), std::vector<std::int64_t>{1});
  EXPECT_EQ(stored[0].sender, "bob");
  hub_.flush();
  EXPECT_EQ(delivered_ids("room"), std::vector<std::int64_t>{1});
}

TEST_F(MemoryBrokerTest, JoiningAgainAfterAnExitAllowsSending) {
  ack_collector acks;
  broker_.left("room", "alice");
  broker_.publish(one("room", "refused"), acks.callback());
  broker_.joined("room", "alice");
  broker_.publish(one("room", "back"), acks.callback());
  const auto got = acks.wait_for(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, publish_status::sender_left);
  EXPECT_EQ(got[1].status, publish_status::kept);
  EXPECT_EQ(ids_of(got[1].kept), std::vector<std::int64_t>{1});
}

// An exit and a join of one member racing can reach the queue in the other order than the store
// saw them: the store, where the member is, decides.
TEST_F(MemoryBrokerTest, AnExitTheStoreNoLongerHoldsDoesNotRefuse) {
  sqlite_.create_user(store::store_testing::make_user("alice"));
  sqlite_.create_room(store::store_testing::make_room("room", "Lobby", "alice"));
  sqlite_.add_member("room", "alice");
  ASSERT_TRUE(sqlite_.is_member("room", "alice"));
  ack_collector acks;
  broker_.joined("room", "alice");
  broker_.left("room", "alice");
  broker_.publish(one("room", "still a member"), acks.callback());
  const auto got = acks.wait_for(1);
  EXPECT_EQ(got[0].status, publish_status::kept);
}

TEST_F(MemoryBrokerTest, StopFinishesWhatWasAcceptedThenRefuses) {
  ack_collector acks;
  for (int i = 0; i < 100; ++i) broker_.publish(one("room", std::to_string(i)), acks.callback());
  broker_.stop();
  auto got = acks.wait_for(100);
  for (const ack& each : got) EXPECT_TRUE(each.ok);
  EXPECT_EQ(sqlite_.last_message_id("room"), 100);

  broker_.publish(one("room", "late"), acks.callback());
  got = acks.wait_for(101);
  EXPECT_FALSE(got[100].ok);
  EXPECT_EQ(sqlite_.last_message_id("room"), 100);
  broker_.stop();  // idempotent
}

TEST_F(MemoryBrokerTest, HistoryComesFromTheStore) {
  sqlite_.append_messages(livechat::testing::make_messages("room", 1, 20));
  EXPECT_EQ(ids_of(broker_.history_after("room", 5, 3)), id_range(6, 8));
  EXPECT_EQ(ids_of(broker_.history_before("room", 5, 3)), id_range(2, 4));
  EXPECT_EQ(ids_of(broker_.history_before("room", std::numeric_limits<std::int64_t>::max(), 2)),
            id_range(19, 20));
  EXPECT_TRUE(broker_.history_after("room", 20, 3).empty());
}

}  // namespace
}  // namespace livechat::broker
