#include "broker/redis_wire.hpp"

#include <gtest/gtest.h>

namespace livechat::broker {
namespace {

model::message sample() {
  model::message message;
  message.room_id = "3f1c2a4e-0000-4000-8000-000000000001";
  message.id = 99;  // not part of the payload: the publish script gives it
  message.sender = "ann";
  message.contents = "hi \"there\"";
  message.sent_at = model::from_epoch_ms(1778454660123);
  message.nickname = "Ann";
  return message;
}

TEST(redis_wire, a_payload_is_the_message_json_without_id) {
  const std::string payload = encode_payload(sample());
  EXPECT_TRUE(payload.starts_with("{\"type\":\"message\",")) << payload;
  EXPECT_EQ(payload.find("\"id\""), std::string::npos) << payload;
}

TEST(redis_wire, a_channel_array_reads_back_messages_and_control_events_in_order) {
  // What the publish script stores: "id" put first into the payload.
  const std::string stored = "{\"id\":7," + encode_payload(sample()).substr(1);
  const std::string payload = "[" + stored +
                              ",{\"type\":\"left\",\"roomId\":\"r\",\"userId\":\"bob\",\"lastId\":7}]";
  const auto entries = decode_channel_payload(payload);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  const model::message& read = (*entries)[0].message;
  EXPECT_EQ((*entries)[0].type, room_entry::kind::message);
  EXPECT_EQ(read.id, 7);
  EXPECT_EQ(read.room_id, sample().room_id);
  EXPECT_EQ(read.sender, "ann");
  EXPECT_EQ(read.contents, "hi \"there\"");
  EXPECT_EQ(read.sent_at, sample().sent_at);
  EXPECT_EQ(read.nickname, "Ann");
  EXPECT_EQ(read.profile_img_url, "");
  EXPECT_EQ((*entries)[1].type, room_entry::kind::left);
  EXPECT_EQ((*entries)[1].user_id, "bob");
  EXPECT_EQ((*entries)[1].after_id, 7);
}

TEST(redis_wire, closed_and_ended_are_both_the_end) {
  for (const char* type : {"closed", "ended"}) {
    const auto entries = decode_channel_payload(std::string("[{\"type\":\"") + type +
                                                "\",\"roomId\":\"r\",\"lastId\":3}]");
    ASSERT_TRUE(entries);
    EXPECT_EQ(entries->at(0).type, room_entry::kind::closed);
  }
}

TEST(redis_wire, what_is_not_ours_is_refused) {
  for (const char* payload : {"hello", "{}", "[1]", "[{\"type\":\"message\"}]", "[{\"type\":\"x\"}]"}) {
    EXPECT_FALSE(decode_channel_payload(payload)) << payload;
  }
}

TEST(redis_wire, room_channels_give_their_room) {
  EXPECT_EQ(room_of_channel("{lc:5}:room:abc"), "abc");
  EXPECT_EQ(room_of_channel("abc_END"), "");
  EXPECT_EQ(room_of_channel("abc"), "");
}

}  // namespace
}  // namespace livechat::broker
