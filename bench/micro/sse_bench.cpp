// The SSE event of one tick: the messages' JSON (already serialized) as one `data:` array.

#include <benchmark/benchmark.h>

#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

#include "allocation_counter.hpp"
#include "protocol/message_json.hpp"
#include "protocol/sse_encoder.hpp"
#include "sample_data.hpp"

namespace livechat::bench {
namespace {

void BM_SseEncodeMessagesEvent(benchmark::State& state) {
  const auto messages = make_messages(static_cast<std::size_t>(state.range(0)));
  std::vector<std::string> json;
  for (const auto& message : messages) {
    json.push_back(boost::json::serialize(protocol::message_to_json(message)));
  }
  const allocation_meter allocations;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    std::string event = sse::encode_messages_event(messages.back().id, json);
    bytes += static_cast<std::int64_t>(event.size());
    benchmark::DoNotOptimize(event.data());
    benchmark::ClobberMemory();
  }
  // Items are messages, so that batch sizes compare per message.
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(bytes);
  allocations.report(state, state.iterations() * state.range(0));
}
BENCHMARK(BM_SseEncodeMessagesEvent)->ArgName("messages")->Arg(1)->Arg(10)->Arg(100);

}  // namespace
}  // namespace livechat::bench
