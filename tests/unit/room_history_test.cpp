#include "fanout/room_history.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "fanout_test_support.hpp"

namespace livechat::fanout {
namespace {

using livechat::testing::id_range;
using livechat::testing::ids_of;
using livechat::testing::make_message;
using livechat::testing::make_messages;

void append(room_history& history, std::int64_t first, std::int64_t last) {
  for (const auto& message : make_messages("room", first, last)) history.append(message);
}

TEST(RoomHistoryTest, EmptyHistoryGivesAnEmptyView) {
  const room_history history(10);
  const auto view = history.view();
  EXPECT_TRUE(view.empty());
  EXPECT_EQ(view.first_id(), 0);
  EXPECT_EQ(view.last_id(), 0);
  EXPECT_TRUE(view.messages().empty());
  EXPECT_TRUE(view.after(5).empty());
}

// Chunks grow from 4 slots to 64: reads must cross every kind of boundary.
TEST(RoomHistoryTest, KeepsTheNewestUpToItsCapacityAcrossChunks) {
  for (const std::int64_t capacity : {1, 3, 4, 5, 64, 100, 1000}) {
    room_history history(static_cast<std::size_t>(capacity));
    for (std::int64_t last = 1; last <= 700; last += 7) {
      append(history, last, last + 6);
      const std::int64_t newest = last + 6;
      const std::int64_t oldest = std::max<std::int64_t>(1, newest - capacity + 1);
      const auto view = history.view();
      ASSERT_EQ(view.first_id(), oldest) << "capacity " << capacity;
      ASSERT_EQ(view.last_id(), newest);
      ASSERT_EQ(ids_of(view), id_range(oldest, newest)) << "capacity " << capacity;
    }
  }
}

TEST(RoomHistoryTest, ViewsNarrowAndLimit) {
  room_history history(100);
  append(history, 11, 80);
  const auto view = history.view();
  EXPECT_EQ(ids_of(view.after(0)), id_range(11, 80));
  EXPECT_EQ(ids_of(view.after(10)), id_range(11, 80));
  EXPECT_EQ(ids_of(view.after(40)), id_range(41, 80));
  EXPECT_EQ(view.after(40).first_id(), 41);
  EXPECT_EQ(ids_of(view.after(40).after(20)), id_range(41, 80));  // narrowing only narrows
  EXPECT_TRUE(view.after(80).empty());
  EXPECT_TRUE(view.after(std::numeric_limits<std::int64_t>::max()).empty());
  EXPECT_EQ(ids_of(view.after(40).messages(5)), id_range(41, 45));
}

// A view reads what was held when it was taken, however far the history has moved since.
TEST(RoomHistoryTest, AViewOutlivesTrimming) {
  room_history history(10);
  append(history, 1, 10);
  const auto view = history.view();
  append(history, 11, 500);
  EXPECT_EQ(ids_of(view), id_range(1, 10));
  EXPECT_EQ(ids_of(history.view()), id_range(491, 500));
}

// A stuck reader's view pins what it covers and nothing the room sends after it (issue 11: the
// chunks used to be linked, so a view held the whole chain grown since it was taken).
TEST(RoomHistoryTest, AHeldViewPinsOnlyTheChunksItCovers) {
  for (const std::size_t capacity : {1, 10, 100, 1000}) {
    room_history history(capacity);
    append(history, 1, static_cast<std::int64_t>(capacity));
    const auto held = history.view();
    append(history, static_cast<std::int64_t>(capacity) + 1, 100'000);
    // The kept messages, plus a trimmed chunk not yet left out of the list and the unused
    // parts of the oldest and newest chunks.
    const std::size_t chunk_bound = std::min<std::size_t>(capacity, 64);
    EXPECT_LE(held.pinned_slots(), capacity + 3 * chunk_bound) << "capacity " << capacity;
    EXPECT_LE(history.view().pinned_slots(), capacity + 3 * chunk_bound);
    EXPECT_EQ(ids_of(held), id_range(1, static_cast<std::int64_t>(capacity)));
  }
}

// Chunks grow to HISTORY_SIZE / 64 slots, so the list that adding a chunk copies (under the
// hub's lock) stays near 64 pointers even for a history of millions, while a held view still
// pins under 5 % more than the capacity.
TEST(RoomHistoryTest, ALongHistoryKeepsItsChunkListShort) {
  for (const std::size_t capacity : {1000U, 100'000U, 1'000'000U}) {
    room_history history(capacity);
    const auto last = static_cast<std::int64_t>(capacity + capacity / 16 + 7);  // trims some chunks
    append(history, 1, last);
    const auto view = history.view();
    EXPECT_LE(view.pinned_chunks(), 66U) << "capacity " << capacity;
    EXPECT_LE(view.pinned_slots(), capacity + 3 * std::max<std::size_t>(64, capacity / 64));
    EXPECT_EQ(view.first_id(), last - static_cast<std::int64_t>(capacity) + 1);
    EXPECT_EQ(view.last_id(), last);
  }
}

// One slot per chunk: a million chunks go through the history while one view is held from
// the start, and the view, then the history, are dropped without a recursion per chunk (the
// linked chain this replaced pinned them all, and its destructor recursed once per chunk: a
// stack overflow under ASan with an 8 MiB stack, found at a million, not at 100,000).
TEST(RoomHistoryTest, ManyChunksPassingAHeldViewAreFreedWithoutDeepRecursion) {
  constexpr std::int64_t last = 1'000'001;
  auto history = std::make_unique<room_history>(1);
  append(*history, 1, 1);
  auto held = std::make_unique<history_view>(history->view());
  for (std::int64_t id = 2; id <= last; ++id) history->append(make_message("room", id, "x"));
  EXPECT_LE(held->pinned_slots(), 3U);
  EXPECT_EQ(ids_of(*held), id_range(1, 1));
  held.reset();
  EXPECT_EQ(ids_of(history->view()), id_range(last, last));
  history.reset();
}

// Readers copy views without the writer's lock while it appends and trims: they always see
// consecutive ids, as many as were held when the view was taken (run under TSan too).
TEST(RoomHistoryStressTest, ViewsAreReadWithoutTheLockWhileTheWriterGoesOn) {
  room_history history(1000);
  std::mutex lock;
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<int> failures{0};
  for (int reader = 0; reader < 3; ++reader) {
    readers.emplace_back([&] {
      while (!done.load()) {
        history_view view;
        {
          std::scoped_lock held{lock};
          view = history.view();
        }
        const auto ids = ids_of(view);
        if (ids.empty()) continue;
        if (ids != id_range(view.first_id(), view.last_id())) failures.fetch_add(1);
      }
    });
  }
  for (std::int64_t id = 1; id <= 20000; ++id) {
    const auto message = make_messages("room", id, id);
    std::scoped_lock held{lock};
    history.append(message.front());
  }
  done = true;
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace livechat::fanout
