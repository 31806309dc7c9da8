// libFuzzer target: arbitrary bytes as what a WebSocket client sends, through the frame parser.
// Besides never crashing, hanging or tripping a sanitizer, the parser must not care where the
// stream is cut: fed whole, in fuzzer-chosen pieces, and one byte at a time, it must deliver the
// same events and end with the same error. Every event must also survive the server's writer:
// encoded, masked as a client would, and parsed again, it must come back unchanged.
//
// Input layout: byte 0 holds the number of cut lengths (low 4 bits) and the message limit
// (bits 4–5); then come the cut lengths, one byte each, used in turn; the rest is the stream.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../unit/websocket_client_frames.hpp"
#include "net/websocket/close_code.hpp"
#include "net/websocket/frame_parser.hpp"
#include "net/websocket/frame_writer.hpp"
#include "net/websocket/utf8.hpp"

namespace {

using namespace livechat::net::websocket;

void require(bool holds) {
  if (!holds) __builtin_trap();
}

struct outcome {
  std::vector<frame_event> events;
  std::optional<protocol_error> error;
};

class recorder {
 public:
  explicit recorder(std::size_t max_message_bytes) : parser_(max_message_bytes) {}

  void feed(std::string_view piece) {
    const auto error = parser_.consume(
        piece, [this](frame_event&& event) { outcome_.events.push_back(std::move(event)); });
    // Once failed, every call answers with the same error.
    if (outcome_.error) require(error == outcome_.error);
    outcome_.error = error;
    require(parser_.error() == error);
    // No heap without something unfinished; nothing at all once failed or closed.
    if (parser_.buffered_bytes() == 0) require(parser_.allocated_bytes() == 0);
    if (error || parser_.closed()) require(parser_.buffered_bytes() == 0);
  }

  const outcome& result() const { return outcome_; }

 private:
  frame_parser parser_;
  outcome outcome_;
};

void check_event(const frame_event& event, std::size_t max_message_bytes) {
  switch (event.op) {
    case opcode::text:
      require(is_valid_utf8(event.payload));
      [[fallthrough]];
    case opcode::binary:
      require(event.payload.size() <= max_message_bytes);
      break;
    case opcode::ping:
    case opcode::pong:
      require(event.payload.size() <= 125);
      break;
    case opcode::close:
      require(event.payload.size() <= max_close_reason_bytes);
      require(is_valid_utf8(event.payload));
      require(event.close_code == close_code::no_status ||
              close_code::is_sendable(event.close_code));
      break;
    case opcode::continuation:
      require(false);
  }
}

void check_round_trip(const frame_event& event) {
  std::string frame;
  if (event.op != opcode::close) {
    frame = encode_frame(event.op, event.payload);
  } else if (event.close_code != close_code::no_status) {
    frame = encode_close_frame(event.close_code, event.payload);
  } else {
    frame = encode_frame(opcode::close, "");
  }
  frame_parser parser(frame_parser::default_max_message_bytes);
  std::vector<frame_event> again;
  const auto error =
      parser.consume(test_support::mask_server_frame(frame, {1, 2, 254, 255}),
                     [&again](frame_event&& parsed) { again.push_back(std::move(parsed)); });
  require(!error);
  require(again.size() == 1 && again.front() == event);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::size_t limits[] = {frame_parser::default_max_message_bytes, 1000, 130, 0};
  const std::size_t max_message_bytes = limits[(data[0] >> 4) & 3];
  const std::size_t cut_count = std::min<std::size_t>(data[0] & 0x0F, size - 1);
  const std::vector<std::uint8_t> cut_lengths(data + 1, data + 1 + cut_count);
  const std::string_view stream(reinterpret_cast<const char*>(data + 1 + cut_count),
                                size - 1 - cut_count);

  recorder whole(max_message_bytes);
  whole.feed(stream);

  recorder cut(max_message_bytes);
  std::size_t offset = 0;
  for (std::size_t turn = 0; offset < stream.size(); ++turn) {
    // A zero length feeds an empty piece; with no lengths, halves.
    const std::size_t length =
        cut_lengths.empty() ? (stream.size() + 1) / 2 : cut_lengths[turn % cut_lengths.size()];
    cut.feed(stream.substr(offset, length));
    offset += std::min(length, stream.size() - offset);
    if (turn > stream.size() + cut_lengths.size()) {  // only zero lengths: finish in one piece
      cut.feed(stream.substr(offset));
      break;
    }
  }

  recorder bytewise(max_message_bytes);
  for (char byte : stream) bytewise.feed(std::string_view(&byte, 1));

  require(cut.result().events == whole.result().events);
  require(cut.result().error == whole.result().error);
  require(bytewise.result().events == whole.result().events);
  require(bytewise.result().error == whole.result().error);

  for (const frame_event& event : whole.result().events) {
    check_event(event, max_message_bytes);
    check_round_trip(event);
  }
  return 0;
}
