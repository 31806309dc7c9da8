#include "fanout/subscription_cursor.hpp"

#include <gtest/gtest.h>

#include "fanout_test_support.hpp"

namespace livechat::fanout {
namespace {

using livechat::testing::make_test_batch;

constexpr const char* room = "room";

TEST(SubscriptionCursorTest, NextBatchIsTakenWhole) {
  const subscription_cursor cursor(5);
  const auto plan = cursor.examine(*make_test_batch(room, 6, 8));
  EXPECT_TRUE(plan.whole());
  EXPECT_FALSE(plan.has_gap());
  EXPECT_EQ(plan.skip, 0u);
}

TEST(SubscriptionCursorTest, FromTheFirstIdAnyBatchStartingAtOneIsWhole) {
  const subscription_cursor cursor(0);
  EXPECT_TRUE(cursor.examine(*make_test_batch(room, 1, 3)).whole());
}

TEST(SubscriptionCursorTest, SkipsWhatWasAlreadySeen) {
  const subscription_cursor cursor(6);
  const auto plan = cursor.examine(*make_test_batch(room, 5, 8));
  EXPECT_FALSE(plan.whole());
  EXPECT_FALSE(plan.has_gap());
  EXPECT_EQ(plan.skip, 2u);  // 5 and 6
}

TEST(SubscriptionCursorTest, SkipsAllOfABatchSeenBefore) {
  const subscription_cursor cursor(10);
  const auto plan = cursor.examine(*make_test_batch(room, 5, 8));
  EXPECT_FALSE(plan.has_gap());
  EXPECT_EQ(plan.skip, 4u);  // never more than the batch holds
  EXPECT_EQ(cursor.examine(*make_test_batch(room, 10, 10)).skip, 1u);
}

TEST(SubscriptionCursorTest, ReportsTheMissingIdsBeforeABatch) {
  const subscription_cursor cursor(5);
  const auto plan = cursor.examine(*make_test_batch(room, 8, 9));
  EXPECT_TRUE(plan.has_gap());
  EXPECT_FALSE(plan.whole());
  EXPECT_EQ(plan.gap_after, 5);
  EXPECT_EQ(plan.gap_up_to, 7);
  EXPECT_EQ(plan.skip, 0u);
}

TEST(SubscriptionCursorTest, GapOfOne) {
  const subscription_cursor cursor(0);
  const auto plan = cursor.examine(*make_test_batch(room, 2, 2));
  EXPECT_TRUE(plan.has_gap());
  EXPECT_EQ(plan.gap_after, 0);
  EXPECT_EQ(plan.gap_up_to, 1);
}

TEST(SubscriptionCursorTest, ClosingBatchWithoutMessagesIsWhole) {
  const subscription_cursor cursor(5);
  EXPECT_TRUE(cursor.examine(*make_test_batch(room, 1, 0, true)).whole());
}

TEST(SubscriptionCursorTest, NonStrictTakesTheFirstBatchWholeThenBecomesStrict) {
  subscription_cursor cursor(0, false);
  const auto first = make_test_batch(room, 8, 9);
  EXPECT_TRUE(cursor.examine(*first).whole());
  cursor.advance(first->last_id());
  EXPECT_EQ(cursor.last_seen(), 9);

  const auto plan = cursor.examine(*make_test_batch(room, 11, 11));
  EXPECT_TRUE(plan.has_gap());
  EXPECT_EQ(plan.gap_after, 9);
  EXPECT_EQ(plan.gap_up_to, 10);
  EXPECT_EQ(cursor.examine(*make_test_batch(room, 9, 10)).skip, 1u);
}

TEST(SubscriptionCursorTest, AdvanceNeverGoesBack) {
  subscription_cursor cursor(9);
  cursor.advance(3);
  EXPECT_EQ(cursor.last_seen(), 9);
  cursor.advance(12);
  EXPECT_EQ(cursor.last_seen(), 12);
}

// Raw Chat Sync messages (no id, SPEC 6) ride among the ids in the order received.
std::shared_ptr<const batch> with_raw_messages(std::int64_t first, std::int64_t last) {
  std::vector<model::message> messages;
  model::message raw;
  raw.room_id = room;
  raw.id = -1;
  messages.push_back(raw);
  for (auto& message : livechat::testing::make_messages(room, first, last)) {
    messages.push_back(std::move(message));
    raw.id -= 1;
    messages.push_back(raw);
  }
  return make_batch(room, std::move(messages), false);
}

TEST(SubscriptionCursorTest, RawMessagesCountForNeitherSkipNorGap) {
  const subscription_cursor cursor(6);
  auto plan = cursor.examine(*with_raw_messages(7, 8));
  EXPECT_TRUE(plan.whole());
  plan = cursor.examine(*with_raw_messages(5, 8));
  EXPECT_FALSE(plan.has_gap());
  EXPECT_EQ(plan.skip, 2u);  // 5 and 6, whatever raw messages stand among them
  plan = cursor.examine(*with_raw_messages(9, 9));
  EXPECT_TRUE(plan.has_gap());
  EXPECT_EQ(plan.gap_up_to, 8);
  // Raw messages alone: new to everyone, and no sign of a gap however far the cursor is.
  EXPECT_TRUE(subscription_cursor(100).examine(*with_raw_messages(1, 0)).whole());
}

}  // namespace
}  // namespace livechat::fanout
