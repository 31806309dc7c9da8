// The Message JSON (SPEC.md section 5): built and serialized once per message per tick.

#include <benchmark/benchmark.h>

#include <boost/json/serialize.hpp>

#include <string>

#include "allocation_counter.hpp"
#include "protocol/message_json.hpp"
#include "sample_data.hpp"

namespace livechat::bench {
namespace {

// message_to_json + serialize, as make_batch does; state.range(0) says whether the tenant gave
// a nickname and profile image.
void BM_MessageJson(benchmark::State& state) {
  const auto message = make_message(42, state.range(0) != 0);
  const allocation_meter allocations;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    std::string json = boost::json::serialize(protocol::message_to_json(message));
    bytes += static_cast<std::int64_t>(json.size());
    benchmark::DoNotOptimize(json.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  allocations.report(state, state.iterations());
}
BENCHMARK(BM_MessageJson)->ArgName("with_profile")->Arg(0)->Arg(1);

}  // namespace
}  // namespace livechat::bench
