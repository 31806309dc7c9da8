#include "broker/chat_sync_payload.hpp"

#include <gtest/gtest.h>

#include <string>

#include "model/time.hpp"

namespace livechat::broker {
namespace {

constexpr std::string_view session = "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
const model::timestamp received = model::from_epoch_ms(1778454660123);

std::optional<model::message> map(std::string_view payload, std::size_t max_length = 2000) {
  std::string why;
  auto mapped = map_raw_payload(session, payload, max_length, received, why);
  EXPECT_EQ(mapped.has_value(), why.empty()) << why;
  return mapped;
}

TEST(chat_sync_payload, chat_syncs_object_becomes_a_message_from_its_nickname) {
  const auto mapped = map(R"({"message":"hello","nickname":"neo","profileImgUrl":"https://x/n.png",)"
                          R"("createdAt":"2026-05-10T23:11:00.456Z"})");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->room_id, session);
  EXPECT_EQ(mapped->id, 0) << "no id: the broker numbers raw messages";
  EXPECT_EQ(mapped->sender, "neo");
  EXPECT_EQ(mapped->nickname, "neo");
  EXPECT_EQ(mapped->contents, "hello");
  EXPECT_EQ(mapped->profile_img_url, "https://x/n.png");
  EXPECT_EQ(model::format_rfc3339(mapped->sent_at), "2026-05-10T23:11:00.456Z");
}

TEST(chat_sync_payload, created_at_in_epoch_milliseconds_or_unreadable) {
  auto mapped = map(R"({"message":"m","nickname":"n","profileImgUrl":null,"createdAt":1778454660999})");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->sent_at, model::from_epoch_ms(1778454660999));
  EXPECT_EQ(mapped->profile_img_url, "") << "null: none supplied";
  mapped = map(R"({"message":"m","nickname":"n","profileImgUrl":"p","createdAt":"yesterday"})");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->sent_at, received) << "a time it cannot read: when the node received it";
  EXPECT_EQ(mapped->sender, "n");
  for (const std::string_view beyond : {"-1", "253402300800000", "9223372036854775807",
                                       "18446744073709551615"}) {
    mapped = map(std::string(R"({"message":"m","nickname":"n","profileImgUrl":"p","createdAt":)") +
                 std::string(beyond) + "}");
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->sent_at, received) << "no four-digit year: when the node received it";
  }
}

TEST(chat_sync_payload, any_other_payload_is_the_contents_of_a_message_from_system) {
  for (const std::string payload :
       {std::string("just some text"), std::string(R"({"message":"hi","nickname":"neo"})"),
        std::string(R"({"message":1,"nickname":"neo","profileImgUrl":"p","createdAt":"t"})"),
        std::string(R"(["message","nickname"])"), std::string("42"), std::string("{not json"),
        std::string("")}) {
    const auto mapped = map(payload);
    ASSERT_TRUE(mapped) << payload;
    EXPECT_EQ(mapped->sender, "system") << payload;
    EXPECT_EQ(mapped->contents, payload);
    EXPECT_EQ(mapped->nickname, "");
    EXPECT_EQ(mapped->profile_img_url, "");
    EXPECT_EQ(mapped->sent_at, received);
  }
}

TEST(chat_sync_payload, an_empty_nickname_sends_as_system) {
  const auto mapped = map(R"({"message":"m","nickname":"","profileImgUrl":"","createdAt":"t"})");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->sender, "system");
  EXPECT_EQ(mapped->contents, "m");
}

TEST(chat_sync_payload, refuses_what_is_not_utf8_or_too_long) {
  std::string why;
  EXPECT_FALSE(map_raw_payload(session, "caf\xC3", 2000, received, why));
  EXPECT_EQ(why, "not UTF-8");
  why.clear();
  EXPECT_FALSE(map_raw_payload(session, std::string(max_raw_payload_bytes + 1, 'a'), 1 << 20,
                               received, why));
  EXPECT_NE(why.find("bytes"), std::string::npos) << why;
  why.clear();
  EXPECT_FALSE(map_raw_payload(session, std::string(11, 'a'), 10, received, why));
  EXPECT_NE(why.find("characters"), std::string::npos) << why;
  // Characters, not bytes: ten three-byte characters are within ten.
  EXPECT_TRUE(map("\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"
                  "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC", 10));
  // The limit is on the contents: a long nickname around a short message is fine.
  EXPECT_TRUE(map(R"({"message":"short","nickname":")" + std::string(50, 'n') +
                  R"(","profileImgUrl":null,"createdAt":0})", 10));
}

}  // namespace
}  // namespace livechat::broker
