#include "protocol/stomp/frame_encoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/stomp/frame_parser.hpp"
#include "protocol/stomp/header_escaping.hpp"

namespace livechat::stomp {
namespace {

using namespace std::string_literals;

constexpr auto v1_0 = protocol_version::v1_0;
constexpr auto v1_1 = protocol_version::v1_1;
constexpr auto v1_2 = protocol_version::v1_2;

const std::string room_message =
    R"({"type":"message","id":42,"roomId":"0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",)"
    R"("sender":"user123","contents":"hi~","messageTimestamp":"2026-05-10T23:11:00.123Z"})";

TEST(StompFrameEncoderTest, NamesEveryCommandExactly) {
  for (const auto verb :
       {command::connect, command::stomp, command::send, command::subscribe, command::unsubscribe,
        command::ack, command::nack, command::begin, command::commit, command::abort,
        command::disconnect, command::connected, command::message, command::receipt,
        command::error}) {
    EXPECT_EQ(parse_command(to_string(verb)), verb);
  }
  EXPECT_EQ(to_string(command::unsubscribe), "UNSUBSCRIBE");
  EXPECT_EQ(parse_command("Send"), std::nullopt);
  EXPECT_EQ(parse_command(""), std::nullopt);
  EXPECT_FALSE(is_client_command(command::message));
  EXPECT_TRUE(is_client_command(command::stomp));
}

TEST(StompFrameEncoderTest, WritesTheConnectedFrame) {
  const frame connected{command::connected,
                        {{"version", "1.2"}, {"heart-beat", "10000,10000"},
                         {"server", "livechat/0.1.0"}, {"user-name", "user123"}},
                        {}};
  EXPECT_EQ(encode(connected, v1_2),
            "CONNECTED\nversion:1.2\nheart-beat:10000,10000\nserver:livechat/0.1.0\n"
            "user-name:user123\n\n\0"s);
}

TEST(StompFrameEncoderTest, AddsContentLengthToANonEmptyBodyUnlessGiven) {
  EXPECT_EQ(encode(frame{command::message, {{"destination", "/a"}}, "a\0b"s}, v1_2),
            "MESSAGE\ndestination:/a\ncontent-length:3\n\na\0b\0"s);
  EXPECT_EQ(encode(frame{command::message, {{"content-length", "3"}, {"x", "y"}}, "abc"}, v1_2),
            "MESSAGE\ncontent-length:3\nx:y\n\nabc\0"s);
  EXPECT_EQ(encode(frame{command::receipt, {{"receipt-id", "1"}}, ""}, v1_2),
            "RECEIPT\nreceipt-id:1\n\n\0"s);
}

TEST(StompFrameEncoderTest, EscapesHeadersAsTheVersionSays) {
  const frame message{command::message, {{"a:b", "1\n2:3\\4\r5"}}, {}};
  EXPECT_EQ(encode(message, v1_2), "MESSAGE\na\\cb:1\\n2\\c3\\\\4\\r5\n\n\0"s);
  EXPECT_EQ(encode(message, v1_1), "MESSAGE\na\\cb:1\\n2\\c3\\\\4 5\n\n\0"s);
  EXPECT_EQ(encode(message, v1_0), "MESSAGE\na b:1 2:3\\4 5\n\n\0"s);
}

TEST(StompFrameEncoderTest, NeverEscapesConnectedFrames) {
  const frame connected{command::connected, {{"server", "livechat:1\\x"}, {"bad:name", "a\r\nb"}}, {}};
  for (const auto version : {v1_0, v1_1, v1_2}) {
    EXPECT_EQ(encode(connected, version), "CONNECTED\nserver:livechat:1\\x\nbad name:a  b\n\n\0"s);
  }
}

TEST(StompFrameEncoderTest, EscapingAndUnescapingAreInverse) {
  const std::string text = "a:b\\c\nd\re\0f"s;
  std::string back;
  ASSERT_TRUE(append_unescaped(back, escape(text, header_escaping::stomp_1_2),
                               header_escaping::stomp_1_2));
  EXPECT_EQ(back, text);
  EXPECT_EQ(escape("plain", header_escaping::stomp_1_1), "plain");
  EXPECT_EQ(escaping_for(command::message, v1_2), header_escaping::stomp_1_2);
  EXPECT_EQ(escaping_for(command::error, v1_1), header_escaping::stomp_1_1);
  EXPECT_EQ(escaping_for(command::send, v1_0), header_escaping::none);
  EXPECT_EQ(escaping_for(command::connect, v1_2), header_escaping::none);
  EXPECT_EQ(escaping_for(command::connected, v1_2), header_escaping::none);
}

TEST(StompFrameEncoderTest, WritesErrorFrames) {
  EXPECT_EQ(encode_error("malformed frame", "r-1", "", v1_2),
            "ERROR\nmessage:malformed frame\nreceipt-id:r-1\n\n\0"s);
  EXPECT_EQ(encode_error("not a member", std::nullopt, "details", v1_2),
            "ERROR\nmessage:not a member\ncontent-type:text/plain\ncontent-length:7\n\ndetails\0"s);
  EXPECT_EQ(encode_error("bad: x\ny", "r:1", ""),
            "ERROR\nmessage:bad\\c x\\ny\nreceipt-id:r\\c1\n\n\0"s);
}

TEST(StompFrameEncoderTest, WritesReceiptsAndHeartBeats) {
  EXPECT_EQ(encode_receipt("77"), "RECEIPT\nreceipt-id:77\n\n\0"s);
  EXPECT_EQ(encode_receipt("a:b", v1_1), "RECEIPT\nreceipt-id:a\\cb\n\n\0"s);
  EXPECT_EQ(encode_receipt("a:b", v1_0), "RECEIPT\nreceipt-id:a:b\n\n\0"s);
  EXPECT_EQ(heart_beat(), "\n");
}

TEST(StompFrameEncoderTest, MessagePartsSurroundTheSubscriptionId) {
  const auto parts = encode_message_parts("/chat/0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
                                          "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b:42", room_message);
  EXPECT_EQ(*parts.prefix,
            "MESSAGE\ndestination:/chat/0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b\nsubscription:");
  EXPECT_EQ(*parts.suffix, "\nmessage-id:0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b\\c42\n"
                           "content-type:application/json\ncontent-length:" +
                               std::to_string(room_message.size()) + "\n\n" + room_message + "\0"s);
  EXPECT_EQ(parts.frame_for("sub-0"), *parts.prefix + "sub-0" + *parts.suffix);
}

TEST(StompFrameEncoderTest, MessagePartsJoinToTheEncodedFrame) {
  for (const auto version : {v1_0, v1_1, v1_2}) {
    for (const std::string& subscription : {"sub-0"s, "a:b\\c"s, ""s}) {
      const std::string destination = "/chat/x:y";
      const std::string message_id = "room:42";
      const frame message{command::message,
                          {{"destination", destination},
                           {"subscription", subscription},
                           {"message-id", message_id},
                           {"content-type", "application/json"}},
                          room_message};
      const auto parts = encode_message_parts(destination, message_id, room_message, version);
      const std::string joined = *parts.prefix +
                                 escape(subscription, escaping_for(command::message, version)) +
                                 *parts.suffix;
      EXPECT_EQ(joined, encode(message, version));
      EXPECT_EQ(parts.frame_for(subscription), joined);
    }
  }
}

// Frames the server writes must read back the same; MESSAGE is a server frame, so it is read
// back here as a SEND with the same headers and body.
TEST(StompFrameEncoderTest, RoundTripsThroughTheParser) {
  for (const auto version : {v1_0, v1_1, v1_2}) {
    const std::string tricky = version == v1_0 ? "a b" : "a:b\\c\nd";
    const frame original{command::send,
                         {{"destination", "/queue/" + tricky},
                          {"receipt", tricky},
                          {"x-repeat", "1"},
                          {"x-repeat", "2"},
                          {"content-length", "7"}},
                         "a\0b\nc\0d"s};
    std::vector<frame> parsed;
    const parse_result result = parse_frames(encode(original, version), parsed, {}, version);
    ASSERT_TRUE(result.ok()) << result.message;
    ASSERT_EQ(parsed.size(), 1u);
    EXPECT_EQ(parsed[0], original);
  }

  const frame connect{command::connect,
                      {{"accept-version", "1.2,1.1,1.0"}, {"passcode", "p:w\\d"}}, {}};
  std::vector<frame> parsed;
  ASSERT_TRUE(parse_frames(encode(connect, v1_2), parsed, {}, v1_2).ok());
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0], connect);
}

TEST(StompFrameEncoderTest, ABodyWithoutContentLengthGainsOneOnTheWayBack) {
  const frame original{command::send, {{"destination", "/a"}}, "hello"};
  std::vector<frame> parsed;
  ASSERT_TRUE(parse_frames(encode(original, v1_2), parsed, {}, v1_2).ok());
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].body, "hello");
  EXPECT_EQ(parsed[0].headers,
            (header_list{{"destination", "/a"}, {"content-length", "5"}}));
}

}  // namespace
}  // namespace livechat::stomp
