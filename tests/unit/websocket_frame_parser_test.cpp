#include "net/websocket/frame_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <vector>

#include "net/websocket/close_code.hpp"
#include "websocket_client_frames.hpp"

namespace livechat::net::websocket {
namespace {

using namespace test_support;

struct parse_result {
  std::vector<frame_event> events;
  std::optional<protocol_error> error;
};

// Feeds `stream` to `parser` in pieces ending at each of `cuts` (ascending) and then the rest.
parse_result feed(frame_parser& parser, std::string_view stream,
                  const std::vector<std::size_t>& cuts = {}) {
  parse_result result;
  const auto collect = [&result](frame_event&& event) {
    result.events.push_back(std::move(event));
  };
  std::size_t start = 0;
  for (std::size_t cut : cuts) {
    result.error = parser.consume(stream.substr(start, cut - start), collect);
    start = cut;
  }
  result.error = parser.consume(stream.substr(start), collect);
  return result;
}

parse_result parse(std::string_view stream,
                   std::size_t max_message_bytes = frame_parser::default_max_message_bytes) {
  frame_parser parser(max_message_bytes);
  return feed(parser, stream);
}

frame_event message(opcode op, std::string payload) { return {op, std::move(payload)}; }

frame_event close_event(std::uint16_t code, std::string reason = {}) {
  return {opcode::close, std::move(reason), code};
}

void expect_protocol_error(
    std::string_view stream, std::uint16_t code,
    std::size_t max_message_bytes = frame_parser::default_max_message_bytes) {
  const auto result = parse(stream, max_message_bytes);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->close_code, code) << result.error->reason;
  EXPECT_TRUE(result.events.empty());
}

// RFC 6455 section 5.7.

TEST(WebSocketFrameParserTest, RfcMaskedHello) {
  const auto result =
      parse(bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events, std::vector{message(opcode::text, "Hello")});
}

TEST(WebSocketFrameParserTest, RfcUnmaskedHelloIsRefusedFromAClient) {
  expect_protocol_error(bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}),
                        close_code::protocol_error);
}

TEST(WebSocketFrameParserTest, RfcFragmentedHello) {
  const std::string stream =
      raw_client_frame(0x01, "Hel", mask_key{1, 2, 3, 4}) + raw_client_frame(0x80, "lo");
  const auto result = parse(stream);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events, std::vector{message(opcode::text, "Hello")});
}

TEST(WebSocketFrameParserTest, RfcPingAndMaskedPong) {
  const std::string ping = raw_client_frame(0x89, "Hello");
  const std::string pong =
      bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  const auto result = parse(ping + pong);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events,
            (std::vector{message(opcode::ping, "Hello"), message(opcode::pong, "Hello")}));
}

TEST(WebSocketFrameParserTest, RfcLengthsOf256AndOf64KiB) {
  std::string medium(256, '\0');
  std::string large(65536, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7);
  const std::string medium_frame = client_frame(opcode::binary, medium);
  const std::string large_frame = client_frame(opcode::binary, large);
  EXPECT_EQ(medium_frame.substr(0, 4), bytes({0x82, 0xFE, 0x01, 0x00}));
  EXPECT_EQ(large_frame.substr(0, 10), bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0}));
  const auto result = parse(medium_frame + large_frame);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events,
            (std::vector{message(opcode::binary, medium), message(opcode::binary, large)}));
}

// Messages and control frames.

TEST(WebSocketFrameParserTest, ControlFramesBetweenFragmentsComeOutFirst) {
  const std::string stream =
      client_frame(opcode::binary, "ab", false) + client_frame(opcode::ping, "p") +
      client_frame(opcode::continuation, "cd", false) + client_frame(opcode::pong, "") +
      client_frame(opcode::continuation, "ef");
  const auto result = parse(stream);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events, (std::vector{message(opcode::ping, "p"), message(opcode::pong, ""),
                                        message(opcode::binary, "abcdef")}));
}

TEST(WebSocketFrameParserTest, EmptyMessagesAndEmptyFragments) {
  const std::string stream =
      client_frame(opcode::text, "") + client_frame(opcode::binary, "", false) +
      client_frame(opcode::continuation, "", false) + client_frame(opcode::continuation, "");
  const auto result = parse(stream);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events, (std::vector{message(opcode::text, ""), message(opcode::binary, "")}));
}

TEST(WebSocketFrameParserTest, TextMayBreakACharacterBetweenFragments) {
  const std::string euro = "\xE2\x82\xAC";
  const std::string stream = client_frame(opcode::text, euro.substr(0, 1), false) +
                             client_frame(opcode::continuation, euro.substr(1));
  const auto result = parse(stream);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events, std::vector{message(opcode::text, euro)});
}

TEST(WebSocketFrameParserTest, CloseWithCodeAndReason) {
  const auto result = parse(client_frame(opcode::close, close_payload(1000, "bye \xC3\xA9")));
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events, std::vector{close_event(1000, "bye \xC3\xA9")});
}

TEST(WebSocketFrameParserTest, CloseWithoutPayloadReportsNoStatus) {
  const auto result = parse(client_frame(opcode::close, ""));
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events, std::vector{close_event(close_code::no_status)});
}

TEST(WebSocketFrameParserTest, ApplicationCloseCodesAreAccepted) {
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                             3000, 3999, 4000, 4999}) {
    const auto result = parse(client_frame(opcode::close, close_payload(code)));
    EXPECT_FALSE(result.error) << code;
    EXPECT_EQ(result.events, std::vector{close_event(code)});
  }
}

TEST(WebSocketFrameParserTest, NothingAfterACloseIsParsed) {
  frame_parser parser;
  const std::string stream = client_frame(opcode::binary, "partial", false) +
                             client_frame(opcode::close, close_payload(1001)) +
                             client_frame(opcode::text, "ignored") + "\xFF\xFF garbage";
  const auto result = feed(parser, stream);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.events, std::vector{close_event(1001)});
  EXPECT_TRUE(parser.closed());
  EXPECT_EQ(parser.allocated_bytes(), 0u);
  EXPECT_FALSE(feed(parser, client_frame(opcode::ping, "")).error);
}

// Every protocol error, with the close code to answer.

TEST(WebSocketFrameParserTest, ReservedBitsAreRefused) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10}) {
    expect_protocol_error(raw_client_frame(0x81 | rsv, "x"), close_code::protocol_error);
  }
}

TEST(WebSocketFrameParserTest, UnknownOpcodesAreRefused) {
  for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    expect_protocol_error(raw_client_frame(0x80 | op, ""), close_code::protocol_error);
  }
}

TEST(WebSocketFrameParserTest, OversizedOrFragmentedControlFramesAreRefused) {
  const std::string too_long(126, 'x');
  for (opcode op : {opcode::ping, opcode::pong, opcode::close}) {
    expect_protocol_error(client_frame(op, too_long), close_code::protocol_error);
    expect_protocol_error(client_frame(op, "", false), close_code::protocol_error);
  }
  EXPECT_FALSE(parse(client_frame(opcode::ping, std::string(125, 'x'))).error);
}

TEST(WebSocketFrameParserTest, ContinuationWithoutAMessageIsRefused) {
  expect_protocol_error(client_frame(opcode::continuation, "x"), close_code::protocol_error);
  const auto after_message =
      parse(client_frame(opcode::text, "a") + client_frame(opcode::continuation, "b"));
  ASSERT_TRUE(after_message.error);
  EXPECT_EQ(after_message.error->close_code, close_code::protocol_error);
  EXPECT_EQ(after_message.events, std::vector{message(opcode::text, "a")});
}

TEST(WebSocketFrameParserTest, NewMessageInsideAFragmentedOneIsRefused) {
  for (opcode op : {opcode::text, opcode::binary}) {
    expect_protocol_error(client_frame(opcode::binary, "a", false) + client_frame(op, "b"),
                          close_code::protocol_error);
  }
}

TEST(WebSocketFrameParserTest, SixtyFourBitLengthWithTheTopBitIsRefused) {
  expect_protocol_error(bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}),
                        close_code::protocol_error);
}

TEST(WebSocketFrameParserTest, NonMinimalLengthsAreRefused) {
  expect_protocol_error(bytes({0x82, 0xFE, 0x00, 0x7D, 1, 2, 3, 4}), close_code::protocol_error);
  expect_protocol_error(bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4}),
                        close_code::protocol_error);
}

TEST(WebSocketFrameParserTest, OversizedMessageIsRefusedFromItsHeaderAlone) {
  // The header declares 64 KiB + 1; not one payload byte follows.
  const std::string header = bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4});
  frame_parser parser;
  const auto result = feed(parser, header);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->close_code, close_code::message_too_big);
  EXPECT_EQ(parser.allocated_bytes(), 0u);
  expect_protocol_error(
      bytes({0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}),
      close_code::message_too_big);
}

TEST(WebSocketFrameParserTest, OversizedFragmentedMessageIsRefused) {
  const std::string stream = client_frame(opcode::text, std::string(600, 'a'), false) +
                             client_frame(opcode::continuation, std::string(500, 'b'));
  expect_protocol_error(stream, close_code::message_too_big, 1000);
  EXPECT_FALSE(parse(stream, 1100).error);
}

TEST(WebSocketFrameParserTest, InvalidUtf8TextIsRefused) {
  for (std::string_view bad :
       {"\xFF", "\xC0\x80", "\xED\xA0\x80", "abc\xE2\x82", "\xF4\x90\x80\x80"}) {
    expect_protocol_error(client_frame(opcode::text, bad), close_code::invalid_payload);
  }
  // Binary messages carry anything.
  EXPECT_FALSE(parse(client_frame(opcode::binary, "\xFF")).error);
}

TEST(WebSocketFrameParserTest, InvalidClosePayloadsAreRefused) {
  expect_protocol_error(client_frame(opcode::close, "\x03"), close_code::protocol_error);
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    expect_protocol_error(client_frame(opcode::close, close_payload(code)),
                          close_code::protocol_error);
  }
  expect_protocol_error(client_frame(opcode::close, close_payload(1000, "\xC3")),
                        close_code::protocol_error);
}

TEST(WebSocketFrameParserTest, EventsBeforeTheErrorAreDeliveredAndTheErrorSticks) {
  frame_parser parser;
  const std::string stream = client_frame(opcode::text, "one") + client_frame(opcode::ping, "two") +
                             raw_client_frame(0x83, "bad") + client_frame(opcode::text, "never");
  const auto result = feed(parser, stream);
  EXPECT_EQ(result.events,
            (std::vector{message(opcode::text, "one"), message(opcode::ping, "two")}));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(parser.error(), result.error);
  const auto later = feed(parser, client_frame(opcode::text, "later"));
  EXPECT_TRUE(later.events.empty());
  EXPECT_EQ(later.error, result.error);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_EQ(parser.allocated_bytes(), 0u);
}

// Memory.

TEST(WebSocketFrameParserTest, HoldsNoHeapBetweenFrames) {
  frame_parser parser;
  EXPECT_EQ(parser.allocated_bytes(), 0u);
  const std::string big = client_frame(opcode::binary, std::string(5000, 'x'));
  const std::string ping = client_frame(opcode::ping, std::string(125, 'p'));

  // Half a frame: its payload so far is held.
  feed(parser, big.substr(0, 3000));
  EXPECT_GT(parser.buffered_bytes(), 0u);
  EXPECT_GT(parser.allocated_bytes(), 0u);
  feed(parser, big.substr(3000));
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_EQ(parser.allocated_bytes(), 0u);

  feed(parser, ping.substr(0, 100));
  EXPECT_GT(parser.allocated_bytes(), 0u);
  feed(parser, ping.substr(100));
  EXPECT_EQ(parser.allocated_bytes(), 0u);

  // A fragmented message keeps its assembled payload until its last fragment.
  feed(parser, client_frame(opcode::text, std::string(1000, 'a'), false));
  EXPECT_EQ(parser.buffered_bytes(), 1000u);
  feed(parser, client_frame(opcode::continuation, "z"));
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_EQ(parser.allocated_bytes(), 0u);

  // A partial header lives inside the parser object.
  feed(parser, big.substr(0, 3));
  EXPECT_EQ(parser.buffered_bytes(), 3u);
  EXPECT_EQ(parser.allocated_bytes(), 0u);
}

TEST(WebSocketFrameParserTest, IsSmall) {
  std::cout << "sizeof(frame_parser) = " << sizeof(frame_parser) << " bytes\n";
  EXPECT_LE(sizeof(frame_parser), 160u);
}

// However the stream is cut, the same events come out.

// A random stream of valid client frames, and the events it stands for.
struct generated_stream {
  std::string bytes;
  std::vector<frame_event> events;
};

class stream_generator {
 public:
  explicit stream_generator(std::uint32_t seed) : random_(seed) {}

  generated_stream make(std::size_t messages, bool end_with_close) {
    generated_stream out;
    for (std::size_t i = 0; i < messages; ++i) add_message(out);
    if (end_with_close) {
      const std::string reason = text(pick(0, 40));
      out.bytes += frame(opcode::close, close_payload(4000, reason));
      out.events.push_back(close_event(4000, reason));
    }
    return out;
  }

 private:
  std::size_t pick(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(random_);
  }

  std::size_t payload_size() {
    switch (pick(0, 9)) {
      case 0:
        return pick(126, 2000);
      case 1:
        return pick(60000, 65536);
      default:
        return pick(0, 125);
    }
  }

  // Valid UTF-8 of `size` bytes, mixing 1- to 4-byte characters.
  std::string text(std::size_t size) {
    static const std::string_view characters[] = {
        "a", "Z", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xED\x9F\xBF"};
    std::string out;
    while (out.size() < size) {
      std::string_view next = characters[pick(0, std::size(characters) - 1)];
      if (out.size() + next.size() > size) next = "a";
      out += next;
    }
    return out;
  }

  std::string binary(std::size_t size) {
    std::string out(size, '\0');
    for (char& byte : out) byte = static_cast<char>(pick(0, 255));
    return out;
  }

  std::string frame(opcode op, std::string_view payload, bool fin = true) {
    const mask_key key{
        static_cast<std::uint8_t>(pick(0, 255)), static_cast<std::uint8_t>(pick(0, 255)),
        static_cast<std::uint8_t>(pick(0, 255)), static_cast<std::uint8_t>(pick(0, 255))};
    return client_frame(op, payload, fin, key);
  }

  void add_control(generated_stream& out) {
    const opcode op = pick(0, 1) == 0 ? opcode::ping : opcode::pong;
    const std::string payload = binary(pick(0, 125));
    out.bytes += frame(op, payload);
    out.events.push_back(message(op, payload));
  }

  void add_message(generated_stream& out) {
    if (pick(0, 3) == 0) return add_control(out);
    const opcode op = pick(0, 1) == 0 ? opcode::text : opcode::binary;
    const std::size_t size = payload_size();
    const std::string payload = op == opcode::text ? text(size) : binary(size);
    // Cut into fragments anywhere, even inside a character, with control frames between.
    std::vector<std::size_t> cuts{0, payload.size()};
    for (std::size_t i = pick(0, 3); i > 0; --i) cuts.push_back(pick(0, payload.size()));
    std::sort(cuts.begin(), cuts.end());
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
      const bool last = i + 2 == cuts.size();
      out.bytes += frame(i == 0 ? op : opcode::continuation,
                         std::string_view(payload).substr(cuts[i], cuts[i + 1] - cuts[i]), last);
      if (!last && pick(0, 2) == 0) add_control(out);
    }
    out.events.push_back(message(op, payload));
  }

  std::mt19937 random_;
};

TEST(WebSocketFrameParserTest, RandomCutsGiveTheSameEventsAsOneBuffer) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    const generated_stream stream = stream_generator(seed).make(60, seed % 2 == 0);
    const auto whole = parse(stream.bytes);
    ASSERT_FALSE(whole.error) << whole.error->reason;
    ASSERT_EQ(whole.events, stream.events) << "seed " << seed;

    std::mt19937 random(seed);
    for (int round = 0; round < 20; ++round) {
      std::vector<std::size_t> cuts;
      const std::size_t count = std::uniform_int_distribution<std::size_t>(1, 200)(random);
      for (std::size_t i = 0; i < count; ++i) {
        cuts.push_back(std::uniform_int_distribution<std::size_t>(0, stream.bytes.size())(random));
      }
      std::sort(cuts.begin(), cuts.end());
      frame_parser parser;
      const auto pieces = feed(parser, stream.bytes, cuts);
      ASSERT_FALSE(pieces.error) << "seed " << seed << " round " << round;
      ASSERT_EQ(pieces.events, stream.events) << "seed " << seed << " round " << round;
      EXPECT_EQ(parser.allocated_bytes(), 0u);
    }
  }
}

TEST(WebSocketFrameParserTest, ByteAtATimeGivesTheSameEventsAsOneBuffer) {
  const generated_stream stream = stream_generator(3).make(40, true);
  frame_parser parser;
  parse_result result;
  for (char byte : stream.bytes) {
    const auto error = parser.consume(std::string_view(&byte, 1), [&](frame_event&& event) {
      result.events.push_back(std::move(event));
    });
    ASSERT_FALSE(error);
  }
  EXPECT_EQ(result.events, stream.events);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  EXPECT_EQ(parser.allocated_bytes(), 0u);
}

TEST(WebSocketFrameParserTest, ErrorsAreTheSameHoweverTheStreamIsCut) {
  const generated_stream valid = stream_generator(7).make(10, false);
  const std::string broken =
      valid.bytes + client_frame(opcode::text, "fine") + client_frame(opcode::text, "\xC3\x28");
  const auto whole = parse(broken);
  ASSERT_TRUE(whole.error);
  for (std::size_t step : {1u, 2u, 3u, 5u, 13u, 1000u}) {
    std::vector<std::size_t> cuts;
    for (std::size_t cut = step; cut < broken.size(); cut += step) cuts.push_back(cut);
    frame_parser parser;
    const auto pieces = feed(parser, broken, cuts);
    EXPECT_EQ(pieces.events, whole.events) << step;
    EXPECT_EQ(pieces.error, whole.error) << step;
  }
}

}  // namespace
}  // namespace livechat::net::websocket
