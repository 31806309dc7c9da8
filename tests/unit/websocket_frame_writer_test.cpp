#include "net/websocket/frame_writer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "net/websocket/close_code.hpp"
#include "net/websocket/frame_parser.hpp"
#include "websocket_client_frames.hpp"

namespace livechat::net::websocket {
namespace {

using namespace test_support;

TEST(WebSocketFrameWriterTest, HeaderSizesFollowTheLength) {
  EXPECT_EQ(frame_header_size(0), 2u);
  EXPECT_EQ(frame_header_size(125), 2u);
  EXPECT_EQ(frame_header_size(126), 4u);
  EXPECT_EQ(frame_header_size(65535), 4u);
  EXPECT_EQ(frame_header_size(65536), 10u);
}

TEST(WebSocketFrameWriterTest, RfcUnmaskedHello) {
  EXPECT_EQ(encode_frame(opcode::text, "Hello"), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
}

TEST(WebSocketFrameWriterTest, RfcUnmaskedPing) {
  EXPECT_EQ(encode_frame(opcode::ping, "Hello"), bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
}

TEST(WebSocketFrameWriterTest, RfcFragmentedHello) {
  std::string out;
  append_frame_header(out, opcode::text, 3, false);
  out += "Hel";
  append_frame_header(out, opcode::continuation, 2);
  out += "lo";
  EXPECT_EQ(out, bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}));
}

TEST(WebSocketFrameWriterTest, RfcLengthsOf256AndOf64KiB) {
  std::string header;
  append_frame_header(header, opcode::binary, 256);
  EXPECT_EQ(header, bytes({0x82, 0x7E, 0x01, 0x00}));
  header.clear();
  append_frame_header(header, opcode::binary, 65536);
  EXPECT_EQ(header, bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
  header.clear();
  append_frame_header(header, opcode::binary, 0x0102030405);
  EXPECT_EQ(header, bytes({0x82, 0x7F, 0, 0, 0, 1, 2, 3, 4, 5}));
}

TEST(WebSocketFrameWriterTest, HeaderIsAppendedToWhatIsThere) {
  std::string out = "x";
  append_frame_header(out, opcode::text, 300);
  EXPECT_EQ(out, "x" + bytes({0x81, 0x7E, 0x01, 0x2C}));
}

TEST(WebSocketFrameWriterTest, CloseFrameCarriesCodeAndReason) {
  EXPECT_EQ(encode_close_frame(1000, ""), bytes({0x88, 0x02, 0x03, 0xE8}));
  EXPECT_EQ(encode_close_frame(1002, "bad"), bytes({0x88, 0x05, 0x03, 0xEA, 'b', 'a', 'd'}));
}

TEST(WebSocketFrameWriterTest, CloseReasonIsCutOnACharacterBoundary) {
  const std::string exact(123, 'r');
  EXPECT_EQ(encode_close_frame(1000, exact).substr(4), exact);
  EXPECT_EQ(encode_close_frame(1000, exact + "more").substr(4), exact);
  // 122 ASCII bytes, then a 2-byte character that would end at byte 124: it goes entirely.
  const std::string ascii(122, 'r');
  const std::string frame = encode_close_frame(1000, ascii + "\xC3\xA9");
  EXPECT_EQ(frame[1], 2 + 122);
  EXPECT_EQ(frame.substr(4), ascii);
  // 120 bytes, then a 4-byte character: cut before it.
  EXPECT_EQ(encode_close_frame(1000, std::string(120, 'r') + "\xF0\x9F\x98\x80").substr(4),
            std::string(120, 'r'));
}

// What the writer produces, masked as a client would, reads back the same through the parser.
TEST(WebSocketFrameWriterTest, RoundTripThroughTheParser) {
  std::vector<frame_event> expected;
  std::string stream;
  for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 1000u, 65535u, 65536u}) {
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
    for (opcode op : {opcode::text, opcode::binary}) {
      stream += mask_server_frame(encode_frame(op, payload), mask_key{9, 8, 7, 6});
      expected.push_back({op, payload});
    }
    if (size <= 125) {
      stream += mask_server_frame(encode_frame(opcode::ping, payload));
      expected.push_back({opcode::ping, payload});
      stream += mask_server_frame(encode_frame(opcode::pong, payload));
      expected.push_back({opcode::pong, payload});
    }
  }
  stream += mask_server_frame(encode_close_frame(close_code::going_away, std::string(200, 'x')));
  expected.push_back({opcode::close, std::string(123, 'x'), close_code::going_away});

  frame_parser parser;
  std::vector<frame_event> events;
  const auto error =
      parser.consume(stream, [&](frame_event&& event) { events.push_back(std::move(event)); });
  EXPECT_FALSE(error);
  EXPECT_EQ(events, expected);
}

}  // namespace
}  // namespace livechat::net::websocket
