// libFuzzer target: arbitrary bytes as one WebSocket message of STOMP frames, under each
// protocol version. Parsing must never crash, hang or trip a sanitizer; a refusal must carry a
// message fit for an ERROR header. Every frame that parses must survive encode -> parse with
// its command, headers and body intact (the encoder adds content-length to a body that had
// none), and the shared MESSAGE parts must join to what encode writes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/stomp/frame_encoder.hpp"
#include "protocol/stomp/frame_parser.hpp"
#include "protocol/stomp/header_escaping.hpp"

namespace {

using namespace livechat::stomp;

void fail(const char* what) {
  std::fprintf(stderr, "stomp_frame_fuzz: %s\n", what);
  std::abort();
}

void check_error_message(const parse_result& result) {
  if (result.message.empty()) fail("a refusal without a message");
  for (const char c : result.message) {
    if (c < 0x20 || c >= 0x7f || c == ':' || c == '\\') fail("an error message unfit for a header");
  }
}

// What `original` must read back as after encode: the same, plus the content-length the
// encoder adds to a non-empty body that had none.
frame expected_after_round_trip(const frame& original) {
  frame expected = original;
  if (!original.body.empty() && !original.header("content-length")) {
    expected.headers.push_back({"content-length", std::to_string(original.body.size())});
  }
  return expected;
}

void check_round_trip(const frame& original, protocol_version version) {
  parse_limits unlimited;
  unlimited.max_frame_bytes = std::numeric_limits<std::size_t>::max();
  unlimited.max_headers = std::numeric_limits<std::size_t>::max();
  unlimited.max_header_line_bytes = std::numeric_limits<std::size_t>::max();
  unlimited.max_body_bytes = std::numeric_limits<std::size_t>::max();

  std::vector<frame> again;
  const parse_result result = parse_frames(encode(original, version), again, unlimited, version);
  if (!result.ok()) fail("an encoded frame does not parse");
  if (again.size() != 1) fail("an encoded frame parses as another number of frames");
  const frame expected = expected_after_round_trip(original);
  if (again[0].verb != expected.verb) fail("the command changed in the round trip");
  if (again[0].headers != expected.headers) fail("the headers changed in the round trip");
  if (again[0].body != expected.body) fail("the body changed in the round trip");
}

void check_message_parts(const frame& original, protocol_version version) {
  const auto destination = original.header("destination");
  if (!destination) return;
  const std::string_view message_id = original.header("message-id").value_or("");
  const std::string_view subscription = original.header("id").value_or("");
  const frame message{command::message,
                      {{"destination", std::string(*destination)},
                       {"subscription", std::string(subscription)},
                       {"message-id", std::string(message_id)},
                       {"content-type", "application/json"},
                       {"content-length", std::to_string(original.body.size())}},
                      original.body};
  const auto parts = encode_message_parts(*destination, message_id, original.body, version);
  if (parts.frame_for(subscription) != encode(message, version)) {
    fail("MESSAGE parts do not join to the encoded frame");
  }
}

void exercise(std::string_view data, const parse_limits& limits, protocol_version version) {
  std::vector<frame> frames;
  const parse_result result = parse_frames(data, frames, limits, version);
  if (!result.ok()) check_error_message(result);
  for (const frame& parsed : frames) {
    check_round_trip(parsed, version);
    check_message_parts(parsed, version);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  for (const auto version : {protocol_version::v1_0, protocol_version::v1_1, protocol_version::v1_2}) {
    exercise(message, parse_limits{}, version);
  }
  // Small limits, so that inputs of fuzzing size reach every limit.
  parse_limits small;
  small.max_frame_bytes = 256;
  small.max_headers = 4;
  small.max_header_line_bytes = 48;
  small.max_body_bytes = 64;
  exercise(message, small, protocol_version::v1_2);
  return 0;
}
