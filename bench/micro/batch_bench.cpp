// A tick's batch: serialized once for every wire format, then rendered as WebSocket frames
// once per I/O thread and STOMP subscription id.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "allocation_counter.hpp"
#include "fanout/batch.hpp"
#include "sample_data.hpp"
#include "stomp/batch_frames.hpp"

namespace livechat::bench {
namespace {

// make_batch takes its messages by value. Copies are made ahead, outside the timed region, a
// few hundred at a time, so that the loop measures the serialization and not the copy.
class message_supply {
 public:
  explicit message_supply(std::size_t count) : messages_(make_messages(count)) {}

  std::vector<model::message> next(benchmark::State& state) {
    if (ready_.empty()) {
      state.PauseTiming();
      const auto before = allocations_on_this_thread();
      ready_.assign(256, messages_);
      copy_allocations_ += allocations_on_this_thread() - before;
      state.ResumeTiming();
    }
    auto taken = std::move(ready_.back());
    ready_.pop_back();
    return taken;
  }

  /// Allocations made by the copies, to leave out of the measured ones.
  std::uint64_t copy_allocations() const { return copy_allocations_; }

 private:
  std::vector<model::message> messages_;
  std::vector<std::vector<model::message>> ready_;
  std::uint64_t copy_allocations_ = 0;
};

// All wire formats at once: each message's JSON, the SSE event, each STOMP MESSAGE's parts.
void BM_MakeBatch(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  message_supply supply(count);
  const allocation_meter allocations;
  for (auto _ : state) {
    auto made = fanout::make_batch(room_id, supply.next(state), false);
    benchmark::DoNotOptimize(made.get());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // messages
  allocations.report(state, state.iterations() * state.range(0), supply.copy_allocations());
}
BENCHMARK(BM_MakeBatch)->ArgName("messages")->Arg(1)->Arg(10)->Arg(100);

// The first call for a batch renders its frames for the id. Two batches take turns, so that
// every call meets a batch the thread's cache does not hold, as at each tick.
void BM_BatchFramesRender(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const std::shared_ptr<const fanout::batch> batches[] = {make_sample_batch(count),
                                                          make_sample_batch(count)};
  const auto key = stomp::make_frame_key("sub-0", stomp::protocol_version::v1_2);
  const allocation_meter allocations;
  std::int64_t bytes = 0;
  std::size_t turn = 0;
  for (auto _ : state) {
    auto frames = stomp::batch_frames_for(batches[turn], key);
    turn ^= 1;
    bytes += static_cast<std::int64_t>(frames->size());
    benchmark::DoNotOptimize(frames.get());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // messages
  state.SetBytesProcessed(bytes);
  allocations.report(state, state.iterations());
}
BENCHMARK(BM_BatchFramesRender)->ArgName("messages")->Arg(10);

// A later call with the same batch and id: the per-thread cache's hit, paid per subscriber.
void BM_BatchFramesCached(benchmark::State& state) {
  const auto delivered = make_sample_batch(static_cast<std::size_t>(state.range(0)));
  const auto key = stomp::make_frame_key("sub-0", stomp::protocol_version::v1_2);
  benchmark::DoNotOptimize(stomp::batch_frames_for(delivered, key));
  const allocation_meter allocations;
  for (auto _ : state) {
    auto frames = stomp::batch_frames_for(delivered, key);
    benchmark::DoNotOptimize(frames.get());
  }
  state.SetItemsProcessed(state.iterations());  // calls (one per subscriber)
  allocations.report(state, state.iterations());
}
BENCHMARK(BM_BatchFramesCached)->ArgName("messages")->Arg(10);

}  // namespace
}  // namespace livechat::bench
