#include "protocol/stomp/frame_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace livechat::stomp {
namespace {

using namespace std::string_literals;

constexpr auto v1_0 = protocol_version::v1_0;
constexpr auto v1_1 = protocol_version::v1_1;
constexpr auto v1_2 = protocol_version::v1_2;

// Parses `data` that must hold exactly one frame.
frame parse_one(std::string_view data, protocol_version version = v1_2,
                const parse_limits& limits = {}) {
  std::vector<frame> frames;
  const parse_result result = parse_frames(data, frames, limits, version);
  EXPECT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(frames.size(), 1u);
  return frames.empty() ? frame{} : frames.front();
}

parse_result parse_failing(std::string_view data, protocol_version version = v1_2,
                           const parse_limits& limits = {}) {
  std::vector<frame> frames;
  const parse_result result = parse_frames(data, frames, limits, version);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.message.empty());
  EXPECT_EQ(result.message.find_first_of("\r\n:\\"), std::string::npos) << result.message;
  return result;
}

header_list headers(std::initializer_list<header> entries) { return header_list(entries); }

// What @stomp/stompjs 7 puts on the wire.

TEST(StompFrameParserTest, ReadsTheConnectOfStompjs) {
  const frame connect = parse_one(
      "CONNECT\naccept-version:1.2,1.1,1.0\nheart-beat:10000,10000\nAuthorization:Bearer x\n\n\0"s);
  EXPECT_EQ(connect.verb, command::connect);
  EXPECT_EQ(connect.headers, headers({{"accept-version", "1.2,1.1,1.0"},
                                      {"heart-beat", "10000,10000"},
                                      {"Authorization", "Bearer x"}}));
  EXPECT_EQ(connect.body, "");
  EXPECT_EQ(connect.header("Authorization"), "Bearer x");
  EXPECT_EQ(connect.header("authorization"), std::nullopt);
}

TEST(StompFrameParserTest, ReadsTheSubscribeOfStompjs) {
  const frame subscribe = parse_one(
      "SUBSCRIBE\nid:sub-0\ndestination:/chat/0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b\n"
      "x-since-id:5\n\n\0"s);
  EXPECT_EQ(subscribe.verb, command::subscribe);
  EXPECT_EQ(subscribe.header("id"), "sub-0");
  EXPECT_EQ(subscribe.header("destination"), "/chat/0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(subscribe.header("x-since-id"), "5");
}

TEST(StompFrameParserTest, ReadsTheSendOfStompjsWithContentLength) {
  const frame send = parse_one(
      "SEND\ndestination:/queue/message/0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b\nreceipt:r-1\n"
      "content-length:17\n\n{\"contents\":\"hi\"}\0"s);
  EXPECT_EQ(send.verb, command::send);
  EXPECT_EQ(send.header("receipt"), "r-1");
  EXPECT_EQ(send.body, "{\"contents\":\"hi\"}");
}

TEST(StompFrameParserTest, ReadsTheUnsubscribeAndDisconnectOfStompjs) {
  const frame unsubscribe = parse_one("UNSUBSCRIBE\nid:sub-0\n\n\0"s);
  EXPECT_EQ(unsubscribe.verb, command::unsubscribe);
  EXPECT_EQ(unsubscribe.header("id"), "sub-0");
  const frame disconnect = parse_one("DISCONNECT\nreceipt:close-2\n\n\0"s);
  EXPECT_EQ(disconnect.verb, command::disconnect);
  EXPECT_EQ(disconnect.header("receipt"), "close-2");
}

// The examples of the STOMP 1.2 specification.

TEST(StompFrameParserTest, ReadsTheSpecificationExamples) {
  const frame connect = parse_one("CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\0"s);
  EXPECT_EQ(connect.header("host"), "stomp.github.org");

  const frame stomp = parse_one("STOMP\naccept-version:1.2\nhost:stomp.github.org\n\n\0"s);
  EXPECT_EQ(stomp.verb, command::stomp);

  const frame send = parse_one(
      "SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\n\0"s);
  EXPECT_EQ(send.body, "hello queue a\n");

  const frame subscribe = parse_one("SUBSCRIBE\nid:0\ndestination:/queue/foo\nack:client\n\n\0"s);
  EXPECT_EQ(subscribe.header("ack"), "client");

  EXPECT_EQ(parse_one("ACK\nid:12345\ntransaction:tx1\n\n\0"s).verb, command::ack);
  EXPECT_EQ(parse_one("NACK\nid:12345\ntransaction:tx1\n\n\0"s).verb, command::nack);
  EXPECT_EQ(parse_one("BEGIN\ntransaction:tx1\n\n\0"s).verb, command::begin);
  EXPECT_EQ(parse_one("COMMIT\ntransaction:tx1\n\n\0"s).verb, command::commit);
  EXPECT_EQ(parse_one("ABORT\ntransaction:tx1\n\n\0"s).verb, command::abort);
  EXPECT_EQ(parse_one("DISCONNECT\nreceipt:77\n\n\0"s).header("receipt"), "77");
}

TEST(StompFrameParserTest, AcceptsCrLfLineEnds) {
  const frame send =
      parse_one("SEND\r\ndestination:/queue/a\r\ncontent-length:2\r\n\r\nhi\0\r\n"s);
  EXPECT_EQ(send.headers, headers({{"destination", "/queue/a"}, {"content-length", "2"}}));
  EXPECT_EQ(send.body, "hi");
}

TEST(StompFrameParserTest, KeepsRepeatedHeadersAndTheFirstWins) {
  const frame send = parse_one("SEND\nfoo:World\nfoo:Hello\ndestination:/a\n\n\0"s);
  EXPECT_EQ(send.header("foo"), "World");
  EXPECT_EQ(send.headers.size(), 3u);
  EXPECT_EQ(send.headers[1], (header{"foo", "Hello"}));
}

TEST(StompFrameParserTest, TheFirstContentLengthDecidesTheBody) {
  const frame send = parse_one("SEND\ncontent-length:1\ncontent-length:5\n\nx\0"s);
  EXPECT_EQ(send.body, "x");
}

TEST(StompFrameParserTest, KeepsColonsAndBlanksOfValuesAsSent) {
  const frame send = parse_one("SEND\nx-time: 12:30 \n\n\0"s);
  EXPECT_EQ(send.header("x-time"), " 12:30 ");
  EXPECT_EQ(parse_one("SEND\nempty:\n\n\0"s).header("empty"), "");
}

TEST(StompFrameParserTest, UnescapesHeadersAsTheVersionSays) {
  const std::string data = "SEND\na\\cb:1\\n2\\c3\\\\4\n\n\0"s;
  EXPECT_EQ(parse_one(data, v1_2).headers, headers({{"a:b", "1\n2:3\\4"}}));
  EXPECT_EQ(parse_one(data, v1_1).headers, headers({{"a:b", "1\n2:3\\4"}}));
  EXPECT_EQ(parse_one(data, v1_0).headers, headers({{"a\\cb", "1\\n2\\c3\\\\4"}}));

  const std::string carriage_return = "SEND\nx:a\\rb\n\n\0"s;
  EXPECT_EQ(parse_one(carriage_return, v1_2).header("x"), "a\rb");
  EXPECT_EQ(parse_failing(carriage_return, v1_1).error, parse_error::bad_escape);
  EXPECT_EQ(parse_one(carriage_return, v1_0).header("x"), "a\\rb");
}

TEST(StompFrameParserTest, NeverUnescapesConnectFrames) {
  for (const auto version : {v1_0, v1_1, v1_2}) {
    const frame connect = parse_one("CONNECT\nlogin:a\\tb\\c\npasscode:x:y\n\n\0"s, version);
    EXPECT_EQ(connect.header("login"), "a\\tb\\c");
    EXPECT_EQ(connect.header("passcode"), "x:y");
    EXPECT_EQ(parse_one("STOMP\nlogin:a\\n\n\n\0"s, version).header("login"), "a\\n");
  }
}

TEST(StompFrameParserTest, ReadsBodiesWithNulsByContentLength) {
  const frame send = parse_one("SEND\ncontent-length:5\n\na\0b\0c\0"s);
  EXPECT_EQ(send.body, "a\0b\0c"s);
  EXPECT_EQ(parse_one("SEND\ncontent-length:0\n\n\0"s).body, "");
  EXPECT_EQ(parse_one("SEND\ncontent-length:007\n\nabcdefg\0"s).body, "abcdefg");
}

TEST(StompFrameParserTest, WithoutContentLengthTheBodyEndsAtTheFirstNul) {
  std::vector<frame> frames;
  const auto result = parse_frames("SEND\n\nab\0cd\n\n\0"s, frames, {}, v1_2);
  // "cd..." then reads as a frame of its own, with an unknown command.
  EXPECT_EQ(result.error, parse_error::unknown_command);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].body, "ab");
}

TEST(StompFrameParserTest, ReadsSeveralFramesAndHeartBeatsInOneMessage) {
  std::vector<frame> frames;
  const std::string data =
      "\n\r\nSEND\ndestination:/a\n\none\0\n\nSUBSCRIBE\nid:1\ndestination:/b\n\n\0"
      "\r\n\nSEND\r\ncontent-length:3\r\n\r\nt\0o\0\r\n\r\n"s;
  ASSERT_TRUE(parse_frames(data, frames, {}, v1_2).ok());
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].body, "one");
  EXPECT_EQ(frames[1].verb, command::subscribe);
  EXPECT_EQ(frames[2].body, "t\0o"s);
}

TEST(StompFrameParserTest, HeartBeatsAloneAreNoFrames) {
  for (const std::string& data : {""s, "\n"s, "\r\n"s, "\n\n\r\n\n"s}) {
    std::vector<frame> frames;
    EXPECT_TRUE(parse_frames(data, frames, {}, v1_2).ok());
    EXPECT_TRUE(frames.empty());
  }
}

TEST(StompFrameParserTest, AppendsToWhatTheCallerHas) {
  std::vector<frame> frames(1);
  ASSERT_TRUE(parse_frames("ACK\nid:1\n\n\0"s, frames, {}, v1_2).ok());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].verb, command::ack);
}

// Errors.

TEST(StompFrameParserTest, RefusesUnknownCommands) {
  for (const std::string& data :
       {"send\n\n\0"s, "SENDX\n\n\0"s, "SEND \n\n\0"s, " SEND\n\n\0"s, "GET / HTTP/1.1\r\n\r\n"s,
        "\0\n\n\0"s}) {
    EXPECT_EQ(parse_failing(data).error, parse_error::unknown_command) << data;
  }
  EXPECT_EQ(parse_failing("FOO:\\bar\n\n\0"s).message, "unknown command 'FOO??bar'");
}

TEST(StompFrameParserTest, RefusesServerCommandsFromClients) {
  for (const char* verb : {"CONNECTED", "MESSAGE", "RECEIPT", "ERROR"}) {
    EXPECT_EQ(parse_failing(std::string(verb) + "\n\n\0"s).error, parse_error::server_command);
  }
}

TEST(StompFrameParserTest, RefusesHeaderLinesWithoutColonOrName) {
  EXPECT_EQ(parse_failing("SEND\ndestination\n\n\0"s).error, parse_error::missing_colon);
  EXPECT_EQ(parse_failing("SEND\n:value\n\n\0"s).error, parse_error::empty_header_name);
}

TEST(StompFrameParserTest, RefusesStrayCarriageReturns) {
  EXPECT_EQ(parse_failing("SEND\nx:a\rb\n\n\0"s).error, parse_error::stray_carriage_return);
  EXPECT_EQ(parse_failing("SEND\nx:a\r\r\n\n\0"s).error, parse_error::stray_carriage_return);
  EXPECT_EQ(parse_failing("SEND\r\r\n\n\0"s).error, parse_error::stray_carriage_return);
  EXPECT_EQ(parse_failing("\r\rSEND\n\n\0"s).error, parse_error::stray_carriage_return);
}

TEST(StompFrameParserTest, RefusesUndefinedEscapes) {
  for (const auto version : {v1_1, v1_2}) {
    for (const std::string& data : {"SEND\nx:a\\tb\n\n\0"s, "SEND\nx:a\\\n\n\0"s,
                                   "SEND\nx\\:a\n\n\0"s, "SEND\nx:\\C\n\n\0"s}) {
      EXPECT_EQ(parse_failing(data, version).error, parse_error::bad_escape) << data;
    }
  }
  EXPECT_EQ(parse_one("SEND\nx:a\\tb\n\n\0"s, v1_0).header("x"), "a\\tb");
}

TEST(StompFrameParserTest, RefusesBadContentLengths) {
  for (const std::string& data :
       {"SEND\ncontent-length:\n\n\0"s, "SEND\ncontent-length:x\n\n\0"s,
        "SEND\ncontent-length:-1\n\n\0"s, "SEND\ncontent-length:+1\n\na\0"s,
        "SEND\ncontent-length: 1\n\na\0"s, "SEND\ncontent-length:1 \n\na\0"s,
        "SEND\ncontent-length:0x1\n\na\0"s}) {
    EXPECT_EQ(parse_failing(data).error, parse_error::bad_content_length) << data;
  }
  EXPECT_EQ(parse_failing("SEND\ncontent-length:10\n\nabc\0"s).error,
            parse_error::content_length_too_long);
  EXPECT_EQ(parse_failing("SEND\ncontent-length:2\n\nabc\0"s).error,
            parse_error::missing_nul_after_body);
  EXPECT_EQ(parse_failing("SEND\ncontent-length:3\n\nabc"s).error,
            parse_error::missing_nul_after_body);
  EXPECT_EQ(parse_failing("SEND\ncontent-length:99999999999999999999999999\n\nabc\0"s).error,
            parse_error::body_too_large);
}

TEST(StompFrameParserTest, RefusesFramesCutShort) {
  for (const std::string& data : {"SEND"s, "SEND\n"s, "SEND\ndestination:/a"s,
                                 "SEND\ndestination:/a\n"s, "SEND\r"s, "\r"s, "\0"s}) {
    EXPECT_EQ(parse_failing(data).error, parse_error::incomplete_frame) << data;
  }
  for (const std::string& data : {"SEND\n\n"s, "SEND\n\nhello"s, "SEND\ndestination:/a\r\n\r\n"s}) {
    EXPECT_EQ(parse_failing(data).error, parse_error::missing_nul) << data;
  }
}

TEST(StompFrameParserTest, EnforcesTheLimits) {
  parse_limits limits;
  limits.max_headers = 2;
  EXPECT_EQ(parse_one("SEND\na:1\nb:2\n\n\0"s, v1_2, limits).headers.size(), 2u);
  EXPECT_EQ(parse_failing("SEND\na:1\nb:2\nc:3\n\n\0"s, v1_2, limits).error,
            parse_error::too_many_headers);

  limits = {};
  limits.max_header_line_bytes = 8;
  EXPECT_EQ(parse_one("SEND\nabc:1234\r\n\n\0"s, v1_2, limits).header("abc"), "1234");
  EXPECT_EQ(parse_failing("SEND\nabc:12345\n\n\0"s, v1_2, limits).error,
            parse_error::header_line_too_long);
  EXPECT_EQ(parse_failing("SEND\nabc:12345\r\n\n\0"s, v1_2, limits).error,
            parse_error::header_line_too_long);
  EXPECT_EQ(parse_failing("SEND\nabc:123456789"s, v1_2, limits).error,
            parse_error::header_line_too_long);
  EXPECT_EQ(parse_failing("SUBSCRIBE\n\n\0"s, v1_2, limits).error,
            parse_error::header_line_too_long);

  limits = {};
  limits.max_body_bytes = 4;
  EXPECT_EQ(parse_one("SEND\n\nabcd\0"s, v1_2, limits).body, "abcd");
  EXPECT_EQ(parse_one("SEND\ncontent-length:4\n\nabcd\0"s, v1_2, limits).body, "abcd");
  EXPECT_EQ(parse_failing("SEND\n\nabcde\0"s, v1_2, limits).error, parse_error::body_too_large);
  EXPECT_EQ(parse_failing("SEND\n\nabcde"s, v1_2, limits).error, parse_error::body_too_large);
  EXPECT_EQ(parse_failing("SEND\ncontent-length:5\n\nabcde\0"s, v1_2, limits).error,
            parse_error::body_too_large);

  limits = {};
  limits.max_frame_bytes = 16;
  EXPECT_EQ(parse_one("SEND\nab:c\n\n1234\0"s, v1_2, limits).body, "1234");  // 16 bytes
  EXPECT_EQ(parse_failing("SEND\nab:c\n\n12345\0"s, v1_2, limits).error,
            parse_error::frame_too_large);
  EXPECT_EQ(parse_failing("SEND\nabcdef:ghijklmn\n\n\0"s, v1_2, limits).error,
            parse_error::frame_too_large);
}

TEST(StompFrameParserTest, DefaultLimitsFitAWebSocketMessage) {
  const parse_limits limits;
  EXPECT_EQ(limits.max_frame_bytes, 64u * 1024);
  EXPECT_EQ(limits.max_headers, 64u);
  EXPECT_EQ(limits.max_header_line_bytes, 8u * 1024);
  EXPECT_EQ(limits.max_body_bytes, 64u * 1024);

  std::string many_headers = "SEND\n";
  for (int i = 0; i < 65; ++i) many_headers += "h" + std::to_string(i) + ":v\n";
  EXPECT_EQ(parse_failing(many_headers + "\n\0"s).error, parse_error::too_many_headers);
  EXPECT_EQ(parse_failing("SEND\nx:" + std::string(8 * 1024, 'a') + "\n\n\0"s).error,
            parse_error::header_line_too_long);
  EXPECT_EQ(parse_failing("SEND\n\n" + std::string(64 * 1024 + 1, 'a') + "\0"s).error,
            parse_error::body_too_large);
}

TEST(StompFrameParserTest, ReportsTheReceiptOfTheFailingFrame) {
  // Read far enough: the receipt came before the fault.
  EXPECT_EQ(parse_failing("SEND\nreceipt:r-7\ncontent-length:x\n\n\0"s).receipt, "r-7");
  EXPECT_EQ(parse_failing("SEND\ncontent-length:x\nreceipt:r-7\n\n\0"s).receipt, "r-7");
  EXPECT_EQ(parse_failing("SEND\nreceipt:r-7\nbroken\n\n\0"s).receipt, "r-7");
  EXPECT_EQ(parse_failing("SEND\nreceipt:r-7\n\nno terminator"s).receipt, "r-7");
  EXPECT_EQ(parse_failing("SEND\nreceipt:r\\c7\nx:\\t\n\n\0"s).receipt, "r:7");
  EXPECT_EQ(parse_failing("SEND\nreceipt:first\nreceipt:second\nbad\n\n\0"s).receipt, "first");
  // Not read far enough, or no frame to speak of.
  EXPECT_EQ(parse_failing("SEND\nbroken\nreceipt:r-7\n\n\0"s).receipt, std::nullopt);
  EXPECT_EQ(parse_failing("SEND\nreceipt:\\t\n\n\0"s).receipt, std::nullopt);
  EXPECT_EQ(parse_failing("BOGUS\nreceipt:r-7\n\n\0"s).receipt, std::nullopt);
  // Only the failing frame's receipt counts.
  EXPECT_EQ(parse_failing("SEND\nreceipt:ok\n\n\0SEND\nbroken\n\n\0"s).receipt, std::nullopt);
}

TEST(StompFrameParserTest, KeepsTheFramesBeforeAnError) {
  std::vector<frame> frames;
  const auto result = parse_frames("ACK\nid:1\n\n\0\nNACK\nid:2\n\n\0BAD\n\n\0ACK\nid:3\n\n\0"s,
                                   frames, {}, v1_2);
  EXPECT_EQ(result.error, parse_error::unknown_command);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].verb, command::ack);
  EXPECT_EQ(frames[1].verb, command::nack);
}

}  // namespace
}  // namespace livechat::stomp
