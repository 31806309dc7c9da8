#include "fanout/batch_inbox.hpp"

#include <gtest/gtest.h>

#include "fanout/batch.hpp"

namespace livechat::fanout {
namespace {

batch_list one_batch(const std::string& room) {
  return {make_batch(room, {}, true)};
}

TEST(BatchInboxTest, AsksForOnePassUntilItIsTaken) {
  batch_inbox inbox;
  EXPECT_TRUE(inbox.add(one_batch("a")));
  EXPECT_FALSE(inbox.add(one_batch("b")));  // a pass is pending: it will take this too
  EXPECT_FALSE(inbox.add(one_batch("c")));
  const auto taken = inbox.take();
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[0]->room_id, "a");
  EXPECT_EQ(taken[1]->room_id, "b");
  EXPECT_EQ(taken[2]->room_id, "c");
  EXPECT_TRUE(inbox.add(one_batch("d")));  // taken: the next tick needs a new pass
  EXPECT_EQ(inbox.take().size(), 1u);
  EXPECT_TRUE(inbox.take().empty());
}

}  // namespace
}  // namespace livechat::fanout
