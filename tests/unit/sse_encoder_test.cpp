#include "protocol/sse_encoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fanout/batch.hpp"
#include "model/time.hpp"

namespace livechat::sse {
namespace {

constexpr const char* room_id = "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

TEST(SseEncoderTest, StreamStartsWithRetryAndPingsAsComment) {
  EXPECT_EQ(stream_preamble(), "retry: 3000\n\n");
  EXPECT_EQ(keep_alive_comment(), ": ping\n\n");
}

TEST(SseEncoderTest, OneEventPerTickWithTheLastIdAndAJsonArray) {
  const std::vector<std::string> json{R"({"id":7})", R"({"id":8})", R"({"id":9})"};
  EXPECT_EQ(encode_messages_event(9, json),
            "id: 9\n"
            "data: [{\"id\":7},{\"id\":8},{\"id\":9}]\n"
            "\n");
}

TEST(SseEncoderTest, SingleMessageIsStillAnArray) {
  const std::vector<std::string> json{R"({"id":1})"};
  EXPECT_EQ(encode_messages_event(1, json), "id: 1\ndata: [{\"id\":1}]\n\n");
}

TEST(SseEncoderTest, ClosedEvent) {
  EXPECT_EQ(encode_closed_event(room_id),
            "event: closed\n"
            "data: {\"type\":\"closed\",\"roomId\":\"0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b\"}\n"
            "\n");
}

model::message spec_message(std::int64_t id) {
  model::message message;
  message.room_id = room_id;
  message.id = id;
  message.sender = "user123";
  message.contents = "hi~";
  // 2026-05-10T23:11:00.123Z, the example of SPEC section 5.
  message.sent_at = model::from_epoch_ms(1'778'454'660'123);
  return message;
}

// The bytes a batch shares with every SSE subscriber: the Message shape of SPEC section 5,
// one event for the tick, then `event: closed` when the room closes with it.
TEST(SseEncoderTest, BatchHoldsTheTicksEventAndTheClosedEvent) {
  model::message first = spec_message(41);
  model::message second = spec_message(42);
  second.nickname = "Neo";
  second.profile_img_url = "https://example.com/neo.png";
  const auto made = fanout::make_batch(room_id, {first, second}, true);

  const std::string first_json =
      R"({"type":"message","id":41,"roomId":"0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",)"
      R"("sender":"user123","contents":"hi~","messageTimestamp":"2026-05-10T23:11:00.123Z"})";
  const std::string second_json =
      R"({"type":"message","id":42,"roomId":"0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",)"
      R"("sender":"user123","contents":"hi~","messageTimestamp":"2026-05-10T23:11:00.123Z",)"
      R"("nickname":"Neo","profileImgUrl":"https://example.com/neo.png"})";
  ASSERT_EQ(made->message_json.size(), 2u);
  EXPECT_EQ(made->message_json[0], first_json);
  EXPECT_EQ(made->message_json[1], second_json);
  EXPECT_EQ(made->first_id(), 41);
  EXPECT_EQ(made->last_id(), 42);
  EXPECT_EQ(made->sse_events, "id: 42\ndata: [" + first_json + "," + second_json + "]\n\n" +
                                  encode_closed_event(room_id));
}

TEST(SseEncoderTest, ClosingBatchWithoutMessagesHoldsOnlyTheClosedEvent) {
  const auto made = fanout::make_batch(room_id, {}, true);
  EXPECT_TRUE(made->message_json.empty());
  EXPECT_EQ(made->first_id(), 0);
  EXPECT_EQ(made->last_id(), 0);
  EXPECT_EQ(made->sse_events, encode_closed_event(room_id));
}

TEST(SseEncoderTest, RawMessagesHaveNoIdAndLeaveTheEventIdToTheLastMessageWithOne) {
  model::message raw = spec_message(-3);  // raw message number 3 (SPEC 6)
  raw.sender = "system";
  const auto only_raw = fanout::make_batch(room_id, {raw}, false);
  const std::string raw_json =
      R"({"type":"message","roomId":"0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",)"
      R"("sender":"system","contents":"hi~","messageTimestamp":"2026-05-10T23:11:00.123Z"})";
  EXPECT_EQ(only_raw->first_id(), 0);
  EXPECT_EQ(only_raw->last_id(), 0);
  EXPECT_EQ(only_raw->id_count(), 0u);
  EXPECT_EQ(only_raw->sse_events, "data: [" + raw_json + "]\n\n") << "no id: line";

  const auto mixed = fanout::make_batch(room_id, {spec_message(7), raw, spec_message(8), raw}, false);
  EXPECT_EQ(mixed->first_id(), 7);
  EXPECT_EQ(mixed->last_id(), 8);
  EXPECT_EQ(mixed->id_count(), 2u);
  ASSERT_EQ(mixed->message_json.size(), 4u);
  EXPECT_EQ(mixed->message_json[1], raw_json);
  EXPECT_TRUE(mixed->sse_events.starts_with("id: 8\ndata: [")) << mixed->sse_events;
  ASSERT_EQ(mixed->stomp_frames.size(), 4u);
  const std::string frame = *mixed->stomp_frames[1].suffix;
  // `{sessionId}:raw-3`, its colon escaped as every header value's is (STOMP 1.1/1.2).
  EXPECT_NE(frame.find(std::string("message-id:") + room_id + "\\craw-3\n"), std::string::npos)
      << frame;
}

}  // namespace
}  // namespace livechat::sse
