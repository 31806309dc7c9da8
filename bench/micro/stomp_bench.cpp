// The STOMP codec on the hot paths: reading what stompjs sends, and writing MESSAGE frames.

#include <benchmark/benchmark.h>

#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "protocol/message_json.hpp"
#include "protocol/stomp/frame_encoder.hpp"
#include "protocol/stomp/frame_parser.hpp"
#include "protocol/stomp_destinations.hpp"
#include "sample_data.hpp"

namespace livechat::bench {
namespace {

using namespace std::string_literals;

// What @stomp/stompjs 7 sends for client.publish({destination, body}): it adds content-length.
std::string stompjs_send_frame() {
  const std::string body = R"({"contents":")" + typical_contents + R"("})";
  return "SEND\ndestination:/queue/message/" + room_id + "\ncontent-length:" +
         std::to_string(body.size()) + "\n\n" + body + '\0';
}

// stompjs's CONNECT with the access token in connectHeaders (a JWT of typical length).
std::string stompjs_connect_frame() {
  return "CONNECT\nAuthorization:Bearer "
         "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyMTIzIiwiaWF0IjoxNzc4NDU0NjYwLCJl"
         "eHAiOjE3Nzg0NTgyNjAsImp0aSI6IjVmMmQ4YzFlLTk0YjMtNGE3Ni1iMGQ5LWUzYzJhMWY4NzY1NCJ9."
         "kQ3v8x2mZr5TqWnYp0sLdF7gHjA9bC4eN6uV1oI8yXk\n"
         "accept-version:1.2,1.1,1.0\nheart-beat:10000,10000\n\n\0"s;
}

void parse_benchmark(benchmark::State& state, const std::string& data) {
  std::vector<stomp::frame> frames;
  const allocation_meter allocations;
  for (auto _ : state) {
    frames.clear();
    const auto result = stomp::parse_frames(data, frames, {}, stomp::protocol_version::v1_2);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(frames.data());
    if (!result.ok()) {
      state.SkipWithError("the sample frame did not parse");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
  allocations.report(state, state.iterations());
}

void BM_StompParseSend(benchmark::State& state) { parse_benchmark(state, stompjs_send_frame()); }
BENCHMARK(BM_StompParseSend);

void BM_StompParseConnect(benchmark::State& state) {
  parse_benchmark(state, stompjs_connect_frame());
}
BENCHMARK(BM_StompParseConnect);

// One message's MESSAGE frame cut around the subscription id, as make_batch does per message.
void BM_StompEncodeMessageParts(benchmark::State& state) {
  const auto message = make_message(42);
  const std::string json = boost::json::serialize(protocol::message_to_json(message));
  const std::string destination = protocol::subscribe_destination(room_id);
  const std::string message_id = protocol::message_id(room_id, message.id);
  const allocation_meter allocations;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    auto parts = stomp::encode_message_parts(destination, message_id, json);
    bytes += static_cast<std::int64_t>(parts.prefix->size() + parts.suffix->size());
    benchmark::DoNotOptimize(parts);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  allocations.report(state, state.iterations());
}
BENCHMARK(BM_StompEncodeMessageParts);

// The whole frame for one subscription id from the shared parts (the cold path's join).
void BM_StompJoinPartsForSubscription(benchmark::State& state) {
  const auto message = make_message(42);
  const auto parts = stomp::encode_message_parts(
      protocol::subscribe_destination(room_id), protocol::message_id(room_id, message.id),
      boost::json::serialize(protocol::message_to_json(message)));
  const allocation_meter allocations;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    std::string frame = parts.frame_for("sub-0");
    bytes += static_cast<std::int64_t>(frame.size());
    benchmark::DoNotOptimize(frame.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  allocations.report(state, state.iterations());
}
BENCHMARK(BM_StompJoinPartsForSubscription);

}  // namespace
}  // namespace livechat::bench
