// One I/O thread's fan-out of one tick: a 10-message batch of one room delivered to 10,000
// in-memory connections. Each connection queues references to shared bytes in its own
// output_queue and, at the tick's end, "writes" instantly (start_write + finish_write), so the
// figure is the cost of delivery without the sockets.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "allocation_counter.hpp"
#include "fanout/listener.hpp"
#include "fanout/room_hub.hpp"
#include "fanout/thread_fanout.hpp"
#include "net/output_queue.hpp"
#include "sample_data.hpp"
#include "stomp/batch_frames.hpp"

namespace livechat::bench {
namespace {

constexpr std::size_t connection_count = 10'000;
constexpr std::size_t messages_per_batch = 10;

// A connection without a socket: its one write per tick completes at once.
class instant_connection final : public fanout::delivery_sink {
 public:
  net::output_queue& queue() { return queue_; }

  void flush_deliveries() override {
    if (!queue_.has_queued()) return;
    benchmark::DoNotOptimize(queue_.start_write().size());
    queue_.finish_write();
  }

  void shut_down() override {}

 private:
  net::output_queue queue_{1024 * 1024};  // SPEC 5's default output buffer
};

// Queues the batch's bytes as they are, as an SSE subscriber does.
class shared_bytes_listener final : public fanout::listener {
 public:
  shared_bytes_listener(instant_connection& connection, std::size_t /*subscriber*/)
      : listener(bench::room_id), connection_(connection) {}

  fanout::delivery_sink* deliver(const std::shared_ptr<const fanout::batch>& delivered) override {
    if (!connection_.queue().push_shared(delivered, delivered->sse_events)) return nullptr;
    return &connection_;
  }

 private:
  instant_connection& connection_;
};

// Queues the batch's WebSocket frames for its subscription id, as a STOMP subscriber does.
// Subscriber i uses id "sub-(i mod distinct_ids)".
template <std::size_t distinct_ids>
class stomp_frames_listener final : public fanout::listener {
 public:
  stomp_frames_listener(instant_connection& connection, std::size_t subscriber)
      : listener(bench::room_id),
        connection_(connection),
        frame_key_(stomp::make_frame_key("sub-" + std::to_string(subscriber % distinct_ids),
                                         stomp::protocol_version::v1_2)) {}

  fanout::delivery_sink* deliver(const std::shared_ptr<const fanout::batch>& delivered) override {
    auto frames = stomp::batch_frames_for(delivered, frame_key_);
    const std::string_view bytes = *frames;
    if (!connection_.queue().push_shared(std::move(frames), bytes)) return nullptr;
    return &connection_;
  }

 private:
  instant_connection& connection_;
  stomp::frame_key frame_key_;  // made once, as the STOMP session makes it
};

template <class Listener>
void BM_Fanout(benchmark::State& state) {
  // Declared first so that it is destroyed last: listeners unlink themselves from its lists.
  fanout::thread_fanout fanout(0);
  std::vector<std::unique_ptr<instant_connection>> connections;
  std::vector<std::unique_ptr<Listener>> listeners;
  connections.reserve(connection_count);
  listeners.reserve(connection_count);
  for (std::size_t i = 0; i < connection_count; ++i) {
    connections.push_back(std::make_unique<instant_connection>());
    listeners.push_back(std::make_unique<Listener>(*connections.back(), i));
    fanout.add(*listeners.back());
  }
  // Two ticks' batches take turns, so that every tick brings a batch the thread has not
  // rendered yet, as in the server.
  const fanout::batch_list ticks[] = {
      {make_sample_batch(messages_per_batch, 1)},
      {make_sample_batch(messages_per_batch, messages_per_batch + 1)}};
  std::size_t turn = 0;
  // Two ticks first: each connection's queue grows to its steady size (what a busy room's
  // connections keep), so that the loop sees what every later tick costs.
  for (int warm_up = 0; warm_up < 2; ++warm_up) {
    fanout.deliver(ticks[turn]);
    turn ^= 1;
  }

  const auto delivered_before = fanout.messages_delivered();
  const allocation_meter allocations;
  for (auto _ : state) {
    fanout.deliver(ticks[turn]);
    turn ^= 1;
    benchmark::ClobberMemory();
  }
  const auto deliveries = state.iterations() * static_cast<std::int64_t>(connection_count);
  if (fanout.messages_delivered() - delivered_before !=
      static_cast<std::uint64_t>(deliveries) * messages_per_batch) {
    state.SkipWithError("a connection refused a delivery");
  }
  state.SetItemsProcessed(deliveries);
  state.counters["time/delivery"] =
      benchmark::Counter(static_cast<double>(deliveries),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  allocations.report(state, deliveries);
}

BENCHMARK(BM_Fanout<shared_bytes_listener>)->Name("BM_FanoutSharedBytes")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Fanout<stomp_frames_listener<1>>)->Name("BM_FanoutStompFrames/ids:1")->Unit(benchmark::kMicrosecond);
// Between the two: how the cost grows with the number of distinct ids.
BENCHMARK(BM_Fanout<stomp_frames_listener<10>>)->Name("BM_FanoutStompFrames/ids:10")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Fanout<stomp_frames_listener<100>>)->Name("BM_FanoutStompFrames/ids:100")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace livechat::bench
