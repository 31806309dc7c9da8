#include "broker/refusal_window.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace livechat::broker {
namespace {

std::vector<model::message> from(const std::string& room_id, const std::string& sender) {
  model::message message;
  message.room_id = room_id;
  message.sender = sender;
  message.contents = "hi";
  return {message};
}

TEST(RefusalWindowTest, NothingOnRecordRefusesNothing) {
  const refusal_window window{4};
  EXPECT_EQ(window.check(from("room", "alice")), publish_status::kept);
  EXPECT_EQ(window.check({}), publish_status::kept);
}

TEST(RefusalWindowTest, CloseRefusesEverySenderOfThatRoomOnly) {
  refusal_window window{4};
  window.close("room");
  EXPECT_EQ(window.check(from("room", "alice")), publish_status::closed);
  EXPECT_EQ(window.check(from("room", "bob")), publish_status::closed);
  EXPECT_EQ(window.check(from("other", "alice")), publish_status::kept);
  window.joined("room", "alice");  // a join does not reopen a closed room
  EXPECT_EQ(window.check(from("room", "alice")), publish_status::closed);
}

TEST(RefusalWindowTest, ExitRefusesThatSenderUntilTheyJoinAgain) {
  refusal_window window{4};
  window.left("room", "alice");
  EXPECT_EQ(window.check(from("room", "alice")), publish_status::sender_left);
  EXPECT_EQ(window.check(from("room", "bob")), publish_status::kept);
  auto both = from("room", "bob");
  both.push_back(from("room", "alice").front());
  EXPECT_EQ(window.check(both), publish_status::sender_left);
  window.joined("room", "alice");
  EXPECT_EQ(window.check(from("room", "alice")), publish_status::kept);
  window.left("room", "alice");  // and out again
  EXPECT_EQ(window.check(from("room", "alice")), publish_status::sender_left);
}

TEST(RefusalWindowTest, ForgetsTheOldestPastCapacity) {
  refusal_window window{2};
  window.close("first");
  window.left("second", "alice");
  window.close("third");  // pushes "first" out
  EXPECT_EQ(window.check(from("first", "alice")), publish_status::kept);
  EXPECT_EQ(window.check(from("second", "alice")), publish_status::sender_left);
  EXPECT_EQ(window.check(from("third", "alice")), publish_status::closed);
  window.left("third", "bob");  // pushes "second" out
  EXPECT_EQ(window.check(from("second", "alice")), publish_status::kept);
  EXPECT_EQ(window.check(from("third", "bob")), publish_status::closed);
}

// A member who left twice is remembered by the later exit: forgetting the earlier one does not
// forget them.
TEST(RefusalWindowTest, ARepeatedExitIsRememberedByTheLatest) {
  refusal_window window{2};
  window.left("room", "alice");
  window.joined("room", "alice");
  window.left("room", "alice");
  window.close("other");  // pushes the first exit out
  EXPECT_EQ(window.check(from("room", "alice")), publish_status::sender_left);
}

}  // namespace
}  // namespace livechat::broker
