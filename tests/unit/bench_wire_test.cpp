// The bench's client-side wire code, checked against the server's own codec where there is one:
// what the bench masks, the server's parser must read; what the server writes, the bench must
// read, however the bytes are cut.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/chunked_decoder.hpp"
#include "bench/http_response_head.hpp"
#include "bench/websocket_client_frames.hpp"
#include "net/websocket/frame_parser.hpp"
#include "net/websocket/frame_writer.hpp"

namespace livechat::bench {
namespace {

TEST(ResponseHeadTest, ReadsStatusAndChunkedCoding) {
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\ntransfer-encoding:  Chunked\r\n\r\nrest";
  const auto result = parse_response_head(bytes);
  const auto* head = std::get_if<http_response_head>(&result);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->chunked);
  EXPECT_EQ(bytes.substr(head->size), "rest");
}

TEST(ResponseHeadTest, WaitsForTheBlankLine) {
  EXPECT_TRUE(std::holds_alternative<head_incomplete>(
      parse_response_head("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")));
}

TEST(ResponseHeadTest, RefusesWhatIsNotAResponse) {
  EXPECT_TRUE(std::holds_alternative<head_malformed>(parse_response_head("GET / HTTP/1.1\r\n\r\n")));
  EXPECT_TRUE(std::holds_alternative<head_malformed>(parse_response_head("HTTP/1.1 2x0 OK\r\n\r\n")));
  EXPECT_TRUE(std::holds_alternative<head_malformed>(
      parse_response_head("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")));
  EXPECT_TRUE(std::holds_alternative<head_malformed>(
      parse_response_head("HTTP/1.1 200 OK\r\n" + std::string(17000, 'a'))));
}

TEST(ChunkedDecoderTest, DecodesAnyCutOfTheStream) {
  const std::string body = "5\r\nhello\r\n1;ext=1\r\n \r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    chunked_decoder decoder;
    std::string out;
    for (std::size_t at = 0; at < body.size(); at += piece) {
      ASSERT_TRUE(decoder.decode(std::string_view(body).substr(at, piece), out)) << piece;
    }
    EXPECT_EQ(out, "hello 0123456789abcdef") << "pieces of " << piece;
    EXPECT_TRUE(decoder.finished());
  }
}

TEST(ChunkedDecoderTest, StaysFailedAfterBrokenCoding) {
  chunked_decoder decoder;
  std::string out;
  EXPECT_FALSE(decoder.decode("zz\r\n", out));
  EXPECT_FALSE(decoder.decode("5\r\nhello\r\n", out));
  chunked_decoder missing_crlf;
  EXPECT_FALSE(missing_crlf.decode("2\r\nabX", out));
  chunked_decoder too_big;
  EXPECT_FALSE(too_big.decode("1234567890abcdef0\r\n", out));
}

TEST(WebSocketClientFramesTest, TheServersParserReadsWhatTheBenchMasks) {
  for (const std::size_t size : {0UL, 5UL, 125UL, 126UL, 65535UL, 65536UL, 70000UL}) {
    const std::string payload(size, 'p');
    std::string bytes;
    append_client_frame(bytes, opcode::text, payload);
    net::websocket::frame_parser parser(1 << 20);
    std::vector<net::websocket::frame_event> events;
    const auto error = parser.consume(bytes, [&](net::websocket::frame_event&& event) {
      events.push_back(std::move(event));
    });
    ASSERT_FALSE(error.has_value()) << size;
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].op, opcode::text);
    EXPECT_EQ(events[0].payload, payload);
  }
}

TEST(WebSocketClientFramesTest, ReadsWhatTheServerWritesWhereverTheBytesAreCut) {
  std::string stream;
  for (const std::size_t size : {3UL, 126UL, 70000UL}) {
    stream += net::websocket::encode_frame(opcode::text, std::string(size, 'a'));
  }
  stream += net::websocket::encode_frame(opcode::ping, "hb");
  for (const std::size_t cut : {1UL, 2UL, 4UL, 129UL, stream.size()}) {
    std::vector<std::size_t> sizes;
    std::string buffer;
    for (std::size_t at = 0; at < stream.size(); at += cut) {
      buffer += stream.substr(at, cut);
      for (;;) {
        const auto result = read_server_frame(buffer, 1 << 20);
        if (std::holds_alternative<frame_incomplete>(result)) break;
        const auto* frame = std::get_if<server_frame>(&result);
        ASSERT_NE(frame, nullptr);
        sizes.push_back(frame->payload.size());
        buffer.erase(0, frame->size);
      }
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 126, 70000, 2})) << "cut " << cut;
  }
}

TEST(WebSocketClientFramesTest, RefusesMaskedOrOversizedServerFrames) {
  std::string masked;
  append_client_frame(masked, opcode::text, "x");
  EXPECT_TRUE(std::holds_alternative<frame_malformed>(read_server_frame(masked, 100)));
  const auto big = net::websocket::encode_frame(opcode::text, std::string(200, 'b'));
  EXPECT_TRUE(std::holds_alternative<frame_malformed>(read_server_frame(big, 100)));
}

}  // namespace
}  // namespace livechat::bench
