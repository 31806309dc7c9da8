// Reading hand-off entries out of XREADGROUP and XAUTOCLAIM replies (saver/handoff_entry).

#include "saver/handoff_entry.hpp"

#include <gtest/gtest.h>

#include "model/time.hpp"
#include "redis/key_layout.hpp"

namespace livechat::saver {
namespace {

using redis::reply;

reply text(std::string value) {
  reply result;
  result.type = reply::kind::string;
  result.text = std::move(value);
  return result;
}

reply array(std::vector<reply> elements) {
  reply result;
  result.type = reply::kind::array;
  result.elements = std::move(elements);
  return result;
}

reply entry(std::string entry_id, std::string room, std::string id, std::string json) {
  return array({text(std::move(entry_id)),
                array({text("room"), text(std::move(room)), text("id"), text(std::move(id)),
                       text("m"), text(std::move(json))})});
}

constexpr const char* message_json =
    R"({"id":7,"type":"message","roomId":"r","sender":"alice","contents":"hi",)"
    R"("messageTimestamp":"2026-05-10T23:11:00.123Z","nickname":"Al"})";

TEST(HandoffEntryTest, ReadsEveryStreamOfAReadReply) {
  const reply answer = array({
      array({text(redis::handoff_key(3)), array({entry("1-0", "r", "7", message_json)})}),
      array({text(redis::handoff_key(12)), array({entry("2-0", "q", "1", message_json),
                                                  entry("2-1", "q", "2", message_json)})}),
      array({text("not-a-handoff-stream"), array({entry("3-0", "x", "1", message_json)})}),
  });
  std::vector<handoff_entry> entries;
  append_read_reply(answer, entries);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].shard, 3);
  EXPECT_EQ(entries[0].entry_id, "1-0");
  ASSERT_TRUE(entries[0].message);
  const model::message& message = *entries[0].message;
  EXPECT_EQ(message.room_id, "r");
  EXPECT_EQ(message.id, 7);
  EXPECT_EQ(message.sender, "alice");
  EXPECT_EQ(message.contents, "hi");
  EXPECT_EQ(message.sent_at, model::parse_rfc3339("2026-05-10T23:11:00.123Z"));
  EXPECT_EQ(message.nickname, "Al");
  EXPECT_EQ(message.profile_img_url, "");
  EXPECT_EQ(entries[1].shard, 12);
  EXPECT_EQ(entries[2].room_id, "q");
  EXPECT_EQ(entries[2].id, 2);
}

TEST(HandoffEntryTest, ANilReplyHoldsNothing) {
  std::vector<handoff_entry> entries;
  append_read_reply(reply{}, entries);
  EXPECT_TRUE(entries.empty());
}

TEST(HandoffEntryTest, KeepsWhatItCanOfUnreadableEntries) {
  std::vector<handoff_entry> entries;
  append_entries(array({entry("1-0", "r", "7", "not json"),
                        entry("1-1", "r", "x", message_json),
                        array({text("1-2"), reply{}})}),  // deleted: nil fields
                 5, entries);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].room_id, "r");
  EXPECT_EQ(entries[0].id, 7);
  EXPECT_FALSE(entries[0].message);
  EXPECT_EQ(entries[1].id, 0);
  EXPECT_FALSE(entries[1].message);
  EXPECT_EQ(entries[2].entry_id, "1-2");
  EXPECT_EQ(entries[2].room_id, "");
  EXPECT_FALSE(entries[2].message);
}

TEST(HandoffEntryTest, ParsesTheMessageShapeAndRefusesOthers) {
  EXPECT_TRUE(parse_message(message_json, "r", 7));
  EXPECT_FALSE(parse_message(message_json, "", 7));
  EXPECT_FALSE(parse_message(message_json, "r", 0));
  EXPECT_FALSE(parse_message(R"({"sender":"a","contents":"b"})", "r", 1));
  EXPECT_FALSE(parse_message(R"({"sender":"a","contents":1,"messageTimestamp":"2026-05-10T23:11:00.123Z"})", "r", 1));
  EXPECT_FALSE(parse_message(R"({"sender":"a","contents":"b","messageTimestamp":"yesterday"})", "r", 1));
  EXPECT_FALSE(parse_message(R"({"sender":"a","contents":"b","messageTimestamp":"2026-05-10T23:11:00.123Z","nickname":null})", "r", 1));
  EXPECT_FALSE(parse_message("[1]", "r", 1));
}

}  // namespace
}  // namespace livechat::saver
