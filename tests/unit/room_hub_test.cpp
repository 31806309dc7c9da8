#include "fanout/room_hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "fanout_test_support.hpp"

namespace livechat::fanout {
namespace {

using livechat::testing::id_range;
using livechat::testing::ids_of;
using livechat::testing::make_messages;

constexpr std::int64_t after_nothing = std::numeric_limits<std::int64_t>::max();

// What the hub handed to each I/O thread, one entry per flush that had something for it.
class delivery_recorder {
 public:
  explicit delivery_recorder(std::size_t thread_count) : per_thread_(thread_count) {}

  delivery_function function() {
    return [this](std::size_t thread_index, batch_list batches) {
      std::scoped_lock lock{mutex_};
      per_thread_.at(thread_index).push_back(std::move(batches));
    };
  }

  std::vector<batch_list> of_thread(std::size_t thread_index) const {
    std::scoped_lock lock{mutex_};
    return per_thread_.at(thread_index);
  }

  std::size_t count(std::size_t thread_index) const {
    std::scoped_lock lock{mutex_};
    return per_thread_.at(thread_index).size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::vector<batch_list>> per_thread_;
};

class RoomHubTest : public ::testing::Test {
 protected:
  void append(const std::string& room_id, std::int64_t first, std::int64_t last) {
    const auto messages = make_messages(room_id, first, last);
    hub_.append(room_id, messages);
  }

  delivery_recorder deliveries_{3};
  int pending_calls_ = 0;
  room_hub hub_{3, 5, deliveries_.function(), [this] { ++pending_calls_; }};
};

TEST_F(RoomHubTest, BatchesGoOnlyToThreadsWithListeners) {
  hub_.subscribe("a", 0, after_nothing);
  hub_.subscribe("a", 2, after_nothing);
  hub_.subscribe("a", 2, after_nothing);
  append("a", 1, 3);
  hub_.flush();

  const auto thread_0 = deliveries_.of_thread(0);
  const auto thread_2 = deliveries_.of_thread(2);
  EXPECT_EQ(deliveries_.count(1), 0u);
  ASSERT_EQ(thread_0.size(), 1u);
  ASSERT_EQ(thread_2.size(), 1u);  // one batch per thread, however many listeners it has
  ASSERT_EQ(thread_0[0].size(), 1u);
  ASSERT_EQ(thread_2[0].size(), 1u);
  EXPECT_EQ(thread_0[0][0], thread_2[0][0]);  // serialized once, shared
  EXPECT_EQ(ids_of(thread_0[0][0]->messages), id_range(1, 3));
  EXPECT_EQ(thread_0[0][0]->message_json.size(), 3u);
  EXPECT_FALSE(thread_0[0][0]->sse_events.empty());
}

TEST_F(RoomHubTest, OneBatchPerRoomPerFlushInIdOrder) {
  hub_.subscribe("a", 0, after_nothing);
  hub_.subscribe("b", 0, after_nothing);
  append("a", 1, 2);
  append("b", 1, 1);
  append("a", 3, 3);
  append("b", 2, 4);
  append("a", 4, 5);
  hub_.flush();

  auto flushes = deliveries_.of_thread(0);
  ASSERT_EQ(flushes.size(), 1u);
  ASSERT_EQ(flushes[0].size(), 2u);
  EXPECT_EQ(flushes[0][0]->room_id, "a");
  EXPECT_EQ(ids_of(flushes[0][0]->messages), id_range(1, 5));
  EXPECT_EQ(flushes[0][1]->room_id, "b");
  EXPECT_EQ(ids_of(flushes[0][1]->messages), id_range(1, 4));

  hub_.flush();  // nothing new: nothing delivered
  EXPECT_EQ(deliveries_.count(0), 1u);

  append("b", 5, 5);
  hub_.flush();
  flushes = deliveries_.of_thread(0);
  ASSERT_EQ(flushes.size(), 2u);
  ASSERT_EQ(flushes[1].size(), 1u);
  EXPECT_EQ(flushes[1][0]->room_id, "b");
  EXPECT_EQ(ids_of(flushes[1][0]->messages), std::vector<std::int64_t>{5});
}

TEST_F(RoomHubTest, ThreadsGetOnlyTheRoomsTheyListenTo) {
  hub_.subscribe("a", 0, after_nothing);
  hub_.subscribe("b", 1, after_nothing);
  append("a", 1, 1);
  append("b", 1, 1);
  hub_.flush();
  const auto thread_0 = deliveries_.of_thread(0);
  const auto thread_1 = deliveries_.of_thread(1);
  ASSERT_EQ(thread_0.size(), 1u);
  ASSERT_EQ(thread_1.size(), 1u);
  ASSERT_EQ(thread_0[0].size(), 1u);
  ASSERT_EQ(thread_1[0].size(), 1u);
  EXPECT_EQ(thread_0[0][0]->room_id, "a");
  EXPECT_EQ(thread_1[0][0]->room_id, "b");
}

TEST_F(RoomHubTest, OnPendingIsCalledWhenTheFirstThingStartsWaiting) {
  hub_.subscribe("a", 0, after_nothing);
  hub_.subscribe("b", 0, after_nothing);
  EXPECT_FALSE(hub_.has_pending());
  append("a", 1, 1);
  EXPECT_EQ(pending_calls_, 1);
  EXPECT_TRUE(hub_.has_pending());
  append("a", 2, 2);
  append("b", 1, 1);
  hub_.close("b");
  EXPECT_EQ(pending_calls_, 1);
  hub_.flush();
  EXPECT_FALSE(hub_.has_pending());
  hub_.close("a");
  EXPECT_EQ(pending_calls_, 2);
}

TEST_F(RoomHubTest, AppendsWithoutListenersDeliverNothing) {
  append("a", 1, 3);
  EXPECT_FALSE(hub_.has_pending());
  EXPECT_EQ(pending_calls_, 0);
  hub_.flush();
  for (std::size_t thread = 0; thread < 3; ++thread) EXPECT_EQ(deliveries_.count(thread), 0u);
}

TEST_F(RoomHubTest, UnsubscribedThreadGetsNoMoreBatches) {
  hub_.subscribe("a", 0, after_nothing);
  hub_.subscribe("a", 1, after_nothing);
  append("a", 1, 1);
  hub_.unsubscribe("a", 1);
  hub_.flush();
  EXPECT_EQ(deliveries_.count(0), 1u);
  EXPECT_EQ(deliveries_.count(1), 0u);
}

TEST_F(RoomHubTest, SnapshotHoldsWhatMemoryHasAfterTheAskedId) {
  hub_.subscribe("a", 0, after_nothing);  // keeps the room in memory
  append("a", 1, 3);

  auto snapshot = hub_.subscribe("a", 1, 1);
  EXPECT_EQ(ids_of(snapshot.recent), id_range(2, 3));
  EXPECT_EQ(snapshot.oldest_held_id, 1);
  EXPECT_EQ(snapshot.last_id, 3);
  EXPECT_FALSE(snapshot.closed);

  EXPECT_TRUE(hub_.subscribe("a", 1, 3).recent.empty());
  EXPECT_TRUE(hub_.subscribe("a", 1, after_nothing).recent.empty());
  EXPECT_EQ(ids_of(hub_.subscribe("a", 1, 0).recent), id_range(1, 3));

  snapshot = hub_.subscribe("new", 2, 0);
  EXPECT_TRUE(snapshot.recent.empty());
  EXPECT_EQ(snapshot.oldest_held_id, 0);
  EXPECT_EQ(snapshot.last_id, 0);
}

TEST_F(RoomHubTest, HistoryIsBoundedByHistorySize) {
  hub_.subscribe("a", 0, after_nothing);
  append("a", 1, 7);
  append("a", 8, 12);
  const auto snapshot = hub_.subscribe("a", 1, 0);
  EXPECT_EQ(ids_of(snapshot.recent), id_range(8, 12));  // history_size 5
  EXPECT_EQ(snapshot.oldest_held_id, 8);
  EXPECT_EQ(snapshot.last_id, 12);
}

TEST_F(RoomHubTest, RecentBetweenAnswersOnlyWhenMemoryHoldsEveryId) {
  hub_.subscribe("a", 0, after_nothing);
  append("a", 1, 12);  // memory holds 8..12

  EXPECT_EQ(ids_of(hub_.recent_between("a", 7, 12)), id_range(8, 12));
  EXPECT_EQ(ids_of(hub_.recent_between("a", 8, 10)), id_range(9, 10));
  EXPECT_EQ(ids_of(hub_.recent_between("a", 11, 12)), std::vector<std::int64_t>{12});
  EXPECT_EQ(ids_of(hub_.recent_between("a", 7, 8)), std::vector<std::int64_t>{8});
  EXPECT_TRUE(hub_.recent_between("a", 6, 12).empty());   // 7 is gone
  EXPECT_TRUE(hub_.recent_between("a", 6, 9).empty());
  EXPECT_TRUE(hub_.recent_between("a", 10, 13).empty());  // 13 is not kept yet
  EXPECT_TRUE(hub_.recent_between("a", 12, 12).empty());  // an empty range
  EXPECT_TRUE(hub_.recent_between("a", 12, 11).empty());
  EXPECT_TRUE(hub_.recent_between("a", -5, 10).empty());
  EXPECT_TRUE(hub_.recent_between("unknown", 0, 1).empty());
}

TEST_F(RoomHubTest, CloseComesAfterThePendingMessagesInTheSameBatch) {
  hub_.subscribe("a", 0, after_nothing);
  append("a", 1, 2);
  hub_.close("a");
  hub_.close("a");  // closing twice closes once
  hub_.flush();
  const auto flushes = deliveries_.of_thread(0);
  ASSERT_EQ(flushes.size(), 1u);
  ASSERT_EQ(flushes[0].size(), 1u);
  EXPECT_EQ(ids_of(flushes[0][0]->messages), id_range(1, 2));
  EXPECT_TRUE(flushes[0][0]->closes_room);

  hub_.close("a");
  hub_.flush();
  EXPECT_EQ(deliveries_.count(0), 1u);
}

TEST_F(RoomHubTest, CloseWithoutMessagesIsAnEmptyClosingBatch) {
  hub_.subscribe("a", 1, after_nothing);
  hub_.close("a");
  hub_.flush();
  const auto flushes = deliveries_.of_thread(1);
  ASSERT_EQ(flushes.size(), 1u);
  ASSERT_EQ(flushes[0].size(), 1u);
  EXPECT_TRUE(flushes[0][0]->messages.empty());
  EXPECT_TRUE(flushes[0][0]->closes_room);
}

TEST_F(RoomHubTest, ClosedRoomsAreRemembered) {
  append("a", 1, 3);
  hub_.close("a");
  hub_.flush();
  EXPECT_TRUE(hub_.subscribe("a", 0, 0).closed);

  hub_.subscribe("b", 0, after_nothing);
  append("b", 1, 3);
  hub_.close("b");
  hub_.flush();
  hub_.unsubscribe("b", 0);
  // Nobody listens any more: the history goes, the close is remembered.
  const auto snapshot = hub_.subscribe("b", 1, 1);
  EXPECT_TRUE(snapshot.closed);
  EXPECT_TRUE(snapshot.recent.empty());

  hub_.close("c");  // nobody ever listened
  EXPECT_TRUE(hub_.subscribe("c", 0, 0).closed);
  EXPECT_FALSE(hub_.has_pending());
}

// SPEC 8: a closed room nobody listens to leaves nothing behind. Only the ids of the latest
// closes are kept, for subscribers racing them; older ones are forgotten.
TEST_F(RoomHubTest, ClosedRoomsWithoutListenersAreForgottenBeyondTheLatest) {
  constexpr int rooms = 5000;
  for (int room = 0; room < rooms; ++room) {
    const std::string room_id = "closed-" + std::to_string(room);
    hub_.subscribe(room_id, 0, after_nothing);
    append(room_id, 1, 3);
    hub_.close(room_id);
    hub_.flush();
    hub_.unsubscribe(room_id, 0);
  }
  EXPECT_TRUE(hub_.recent_between("closed-4999", 0, 3).empty());  // no history kept
  EXPECT_TRUE(hub_.subscribe("closed-4999", 0, 0).closed);
  EXPECT_FALSE(hub_.subscribe("closed-0", 0, 0).closed);  // long forgotten
}

// Constant-time subscribe: the snapshot is a view that stays readable while the history
// moves on, and reads as it was when taken.
TEST_F(RoomHubTest, SnapshotStaysValidWhileTheHistoryMovesOn) {
  hub_.subscribe("a", 0, after_nothing);
  append("a", 1, 4);
  const auto snapshot = hub_.subscribe("a", 1, 1);
  append("a", 5, 40);  // history_size 5: 1..35 are trimmed meanwhile
  hub_.flush();
  EXPECT_EQ(ids_of(snapshot.recent), id_range(2, 4));
  EXPECT_EQ(ids_of(hub_.subscribe("a", 1, 0).recent), id_range(36, 40));
}

TEST_F(RoomHubTest, RoomWithoutListenersIsForgotten) {
  append("a", 1, 3);
  EXPECT_TRUE(hub_.recent_between("a", 0, 3).empty());
  EXPECT_EQ(hub_.subscribe("a", 0, 0).last_id, 0);
}

TEST_F(RoomHubTest, RoomIsForgottenWhenItsLastListenerLeaves) {
  hub_.subscribe("a", 0, after_nothing);
  append("a", 1, 3);
  hub_.flush();
  hub_.unsubscribe("a", 0);
  EXPECT_TRUE(hub_.recent_between("a", 0, 3).empty());
  EXPECT_EQ(hub_.subscribe("a", 0, 0).last_id, 0);
}

// The last listener leaves between an append and the next tick: once that tick has passed,
// nothing waits for the room any more and it must not stay in memory for good.
TEST_F(RoomHubTest, RoomIsForgottenWhenItsLastListenerLeavesBeforeTheTick) {
  hub_.subscribe("a", 0, after_nothing);
  append("a", 1, 3);
  hub_.unsubscribe("a", 0);
  hub_.flush();
  EXPECT_EQ(deliveries_.count(0), 0u);
  EXPECT_TRUE(hub_.recent_between("a", 0, 3).empty());
  EXPECT_EQ(hub_.subscribe("a", 0, 0).last_id, 0);
}

TEST_F(RoomHubTest, PendingMessagesAreDroppedWhenTheLastListenerLeaves) {
  hub_.subscribe("a", 0, after_nothing);
  append("a", 1, 3);
  hub_.unsubscribe("a", 0);
  hub_.subscribe("a", 0, after_nothing);
  append("a", 4, 4);
  hub_.flush();
  const auto flushes = deliveries_.of_thread(0);
  ASSERT_EQ(flushes.size(), 1u);
  // 1..3 were kept before this listener came; its snapshot had them.
  EXPECT_EQ(ids_of(flushes[0][0]->messages), std::vector<std::int64_t>{4});
}

// Appenders, subscribers and a flusher at once. Every subscriber's snapshot plus the batches
// its thread got from then on must cover every id of its room, in order, without a gap.
TEST(RoomHubStressTest, SnapshotPlusLaterBatchesHaveNoGapWhileSubscribeRacesAppends) {
  constexpr std::size_t thread_count = 4;
  constexpr std::int64_t messages_per_room = 3000;
  const std::vector<std::string> rooms{"r0", "r1", "r2"};

  delivery_recorder deliveries(thread_count);
  room_hub hub(thread_count, 1'000'000, deliveries.function());
  // One listener per room from the start, so that the hub never forgets a room's history.
  for (const auto& room_id : rooms) hub.subscribe(room_id, 0, after_nothing);

  struct subscriber {
    std::string room_id;
    std::size_t thread_index;
    std::size_t first_flush;  // the first of its thread's flushes that may concern it
    subscribe_snapshot snapshot;
  };
  std::mutex subscribers_mutex;
  std::vector<subscriber> subscribers;

  std::atomic<int> appenders_left{static_cast<int>(rooms.size())};
  std::vector<std::thread> threads;
  for (std::size_t room = 0; room < rooms.size(); ++room) {
    threads.emplace_back([&, room] {
      std::mt19937 random(static_cast<unsigned>(room));
      std::int64_t next = 1;
      while (next <= messages_per_room) {
        const auto chunk = static_cast<std::int64_t>(random() % 5);
        const std::int64_t last = std::min<std::int64_t>(messages_per_room, next + chunk);
        const auto messages = make_messages(rooms[room], next, last);
        hub.append(rooms[room], messages);
        next = last + 1;
        if (random() % 8 == 0) std::this_thread::yield();
      }
      --appenders_left;
    });
  }
  for (unsigned seed = 0; seed < 2; ++seed) {
    threads.emplace_back([&, seed] {
      std::mt19937 random(100 + seed);
      for (int i = 0; i < 150; ++i) {
        subscriber made;
        made.room_id = rooms[random() % rooms.size()];
        made.thread_index = random() % thread_count;
        made.first_flush = deliveries.count(made.thread_index);
        made.snapshot = hub.subscribe(made.room_id, made.thread_index, 0);
        std::scoped_lock lock{subscribers_mutex};
        subscribers.push_back(std::move(made));
      }
    });
  }
  threads.emplace_back([&] {
    while (appenders_left > 0) {
      hub.flush();
      std::this_thread::yield();
    }
  });
  for (auto& thread : threads) thread.join();
  hub.flush();

  ASSERT_EQ(subscribers.size(), 300u);
  for (const subscriber& each : subscribers) {
    const auto& recent = each.snapshot.recent;
    ASSERT_EQ(ids_of(recent), id_range(1, each.snapshot.last_id)) << each.room_id;
    std::int64_t seen = each.snapshot.last_id;
    const auto flushes = deliveries.of_thread(each.thread_index);
    for (std::size_t flush = each.first_flush; flush < flushes.size(); ++flush) {
      for (const auto& delivered : flushes[flush]) {
        if (delivered->room_id != each.room_id) continue;
        ASSERT_FALSE(delivered->messages.empty());
        ASSERT_EQ(ids_of(delivered->messages),
                  id_range(delivered->first_id(), delivered->last_id()));
        ASSERT_LE(delivered->first_id(), seen + 1)
            << "gap before " << delivered->first_id() << " in " << each.room_id << " on thread "
            << each.thread_index;
        seen = std::max(seen, delivered->last_id());
      }
    }
    EXPECT_EQ(seen, messages_per_room) << each.room_id;
  }

  // Thread 0 listened to every room from the start: it got each id exactly once, in order.
  std::map<std::string, std::vector<std::int64_t>> thread_0_ids;
  for (const auto& flush : deliveries.of_thread(0)) {
    for (const auto& delivered : flush) {
      auto& ids = thread_0_ids[delivered->room_id];
      for (const auto& message : delivered->messages) ids.push_back(message.id);
    }
  }
  for (const auto& room_id : rooms) {
    EXPECT_EQ(thread_0_ids[room_id], id_range(1, messages_per_room)) << room_id;
  }
}

// Cluster mode: what a node reads from Redis when its first listener comes fills memory for
// resumes, and is not delivered live.
TEST_F(RoomHubTest, RecalledMessagesFillMemoryWithoutBeingDelivered) {
  const auto snapshot_before = hub_.subscribe("room", 0, after_nothing);
  EXPECT_EQ(snapshot_before.last_id, 0);
  const auto earlier = make_messages("room", 1, 3);
  hub_.recall("room", earlier);
  hub_.flush();
  EXPECT_EQ(deliveries_.count(0), 0u);
  EXPECT_EQ(ids_of(hub_.recent_between("room", 0, 3)), id_range(1, 3));
  append("room", 4, 4);
  hub_.flush();
  ASSERT_EQ(deliveries_.count(0), 1u);
  EXPECT_EQ(ids_of(deliveries_.of_thread(0)[0][0]->messages), id_range(4, 4));
}

// A gap the broker could not fill: memory starts afresh, so nobody behind it is filled from
// memory (they resume from the store) while the messages after it are still delivered.
TEST_F(RoomHubTest, AGapDropsMemoryAndDeliveryGoesOn) {
  hub_.subscribe("room", 0, after_nothing);
  append("room", 1, 3);
  append("room", 7, 8);
  hub_.flush();
  ASSERT_EQ(deliveries_.count(0), 1u);
  // One batch never spans the gap: listeners see it between batches and resume from the store.
  EXPECT_EQ(ids_of(deliveries_.of_thread(0)[0][0]->messages), id_range(7, 8));
  EXPECT_TRUE(hub_.recent_between("room", 3, 8).empty());
  EXPECT_EQ(ids_of(hub_.recent_between("room", 6, 8)), id_range(7, 8));
}

}  // namespace
}  // namespace livechat::fanout
