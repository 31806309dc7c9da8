// The WebSocket reader on every client frame: a masked text frame, unmasked and UTF-8 checked.

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "allocation_counter.hpp"
#include "net/websocket/frame_parser.hpp"
#include "net/websocket/frame_writer.hpp"
#include "sample_data.hpp"

namespace livechat::bench {
namespace {

// A final, masked text frame carrying `payload` (under 64 KiB).
std::string masked_text_frame(std::string_view payload) {
  std::string frame;
  net::websocket::append_masked_frame(frame, 0x81, payload, {0x37, 0xfa, 0x21, 0x3d});  // FIN, text
  return frame;
}

// A 200-byte text payload: a stompjs SEND, padded with text to exactly 200 bytes.
std::string payload_of_200_bytes() {
  std::string payload = "SEND\ndestination:/queue/message/" + room_id + "\n\n{\"contents\":\"";
  const std::string tail = "\"}";
  payload += typical_contents.substr(0, 200 - payload.size() - tail.size() - 1);
  while (payload.size() < 200 - tail.size() - 1) payload += ' ';
  payload += tail;
  payload += '\0';
  return payload;
}

void BM_WebSocketConsumeMaskedTextFrame(benchmark::State& state) {
  const std::string payload = payload_of_200_bytes();
  const std::string frame = masked_text_frame(payload);
  net::websocket::frame_parser parser;
  std::size_t events = 0;
  const allocation_meter allocations;
  for (auto _ : state) {
    const auto error = parser.consume(frame, [&](net::websocket::frame_event&& event) {
      benchmark::DoNotOptimize(event.payload.data());
      ++events;
    });
    if (error) {
      state.SkipWithError("the sample frame was refused");
      break;
    }
  }
  if (!state.error_occurred() && events != static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("not one message per frame");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
  state.counters["payload_bytes"] = static_cast<double>(payload.size());
  allocations.report(state, state.iterations());
}
BENCHMARK(BM_WebSocketConsumeMaskedTextFrame);

}  // namespace
}  // namespace livechat::bench
