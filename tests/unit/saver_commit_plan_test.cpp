// The saver_commit calls a batch becomes (saver/commit_plan).

#include "saver/commit_plan.hpp"

#include <gtest/gtest.h>

#include "redis/key_layout.hpp"

namespace livechat::saver {
namespace {

handoff_entry entry_of(std::string_view room, std::int64_t id, std::string entry_id) {
  handoff_entry entry;
  entry.shard = redis::shard_of(room);
  entry.entry_id = std::move(entry_id);
  entry.room_id = room;
  entry.id = id;
  return entry;
}

TEST(CommitPlanTest, OneCallPerShardWithRunsOfConsecutiveIds) {
  constexpr std::string_view room = "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
  const std::vector<handoff_entry> batch = {entry_of(room, 5, "1-3"), entry_of(room, 3, "1-1"),
                                            entry_of(room, 4, "1-2"), entry_of(room, 9, "1-4"),
                                            entry_of(room, 4, "1-5")};  // 4 twice: one range
  const auto calls = plan_commits(batch, 1000);
  ASSERT_EQ(calls.size(), 1u);
  const auto keys = redis::keys_for_room(room);
  EXPECT_EQ(calls[0].shard, redis::shard_of(room));
  EXPECT_EQ(calls[0].keys, (std::vector<std::string>{redis::handoff_key(calls[0].shard),
                                                     keys.state, keys.history, keys.commits,
                                                     keys.state, keys.history, keys.commits}));
  EXPECT_EQ(calls[0].args, (std::vector<std::string>{"savers", "1000", "2", "3", "5", "9", "9",
                                                     "1-3", "1-1", "1-2", "1-4", "1-5"}));
  EXPECT_EQ(calls[0].entries, 5u);
}

TEST(CommitPlanTest, SplitsRoomsAndShards) {
  // Two rooms on one shard and one on another.
  std::vector<std::string> rooms;
  for (int i = 0; rooms.size() < 3; ++i) {
    std::string room = "room-" + std::to_string(i);
    if (rooms.size() < 2 ? rooms.empty() || redis::shard_of(room) == redis::shard_of(rooms[0])
                         : redis::shard_of(room) != redis::shard_of(rooms[0])) {
      rooms.push_back(room);
    }
  }
  const auto calls = plan_commits({entry_of(rooms[0], 1, "1-0"), entry_of(rooms[1], 1, "1-1"),
                                   entry_of(rooms[2], 2, "2-0"), entry_of(rooms[0], 2, "1-2")},
                                  50);
  ASSERT_EQ(calls.size(), 2u);
  for (const commit_call& call : calls) {
    if (call.shard == redis::shard_of(rooms[0])) {
      EXPECT_EQ(call.keys.size(), 7u);  // two ranges: room 0's 1-2 and room 1's 1-1
      EXPECT_EQ(call.args.at(2), "2");
      EXPECT_EQ(call.entries, 3u);
    } else {
      EXPECT_EQ(call.shard, redis::shard_of(rooms[2]));
      EXPECT_EQ(call.args, (std::vector<std::string>{"savers", "50", "1", "2", "2", "2-0"}));
    }
  }
}

TEST(CommitPlanTest, AnEntryWithoutRoomOrIdIsAcknowledgedInNoRange) {
  handoff_entry deleted;
  deleted.shard = 4;
  deleted.entry_id = "7-0";
  const auto calls = plan_commits({deleted}, 1000);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].keys, (std::vector<std::string>{redis::handoff_key(4)}));
  EXPECT_EQ(calls[0].args, (std::vector<std::string>{"savers", "1000", "0", "7-0"}));
}

}  // namespace
}  // namespace livechat::saver
