// A subscribe to a room whose memory holds HISTORY_SIZE messages (100 or 10,000), resuming from
// the start so that the whole history is wanted: what 10,000 viewers joining a hot session at
// once each do, one after another, under the hub's one lock.
//
// BM_HubSubscribe times room_hub::subscribe + unsubscribe: the time the lock is held, plus
// the lock itself. BM_HubSubscribeAndCopy adds the copy of the snapshot's messages that the
// subscriber makes (for the replay), wherever that copy happens: the total work, for
// comparison. The file builds against both the history copied under the lock (a vector) and
// the history shared as a view, so the same source measures before and after.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "fanout/room_hub.hpp"
#include "sample_data.hpp"

namespace livechat::bench {
namespace {

// The snapshot's messages as the subscriber replays them: copied from the view, or the vector
// copied under the lock taken as it is.
template <typename Recent>
std::vector<model::message> copied(Recent& recent) {
  if constexpr (requires { recent.messages(); }) {
    return recent.messages();
  } else {
    return std::move(recent);
  }
}

class hot_room {
 public:
  explicit hot_room(std::size_t history_size)
      : hub_(1, history_size, [](std::size_t, fanout::batch_list) {}) {
    // One listener keeps the room (and its history) in memory, as a hot session's viewers do.
    hub_.subscribe(room_id, 0, std::numeric_limits<std::int64_t>::max());
    const auto messages = make_messages(history_size);
    hub_.append(room_id, messages);
  }

  fanout::room_hub& hub() { return hub_; }

 private:
  fanout::room_hub hub_;
};

void BM_HubSubscribe(benchmark::State& state) {
  hot_room room(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto snapshot = room.hub().subscribe(room_id, 0, 0);
    benchmark::DoNotOptimize(snapshot);
    room.hub().unsubscribe(room_id, 0);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HubSubscribe)->ArgName("history")->Arg(100)->Arg(10'000);

void BM_HubSubscribeAndCopy(benchmark::State& state) {
  hot_room room(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto snapshot = room.hub().subscribe(room_id, 0, 0);
    auto messages = copied(snapshot.recent);
    benchmark::DoNotOptimize(messages.data());
    room.hub().unsubscribe(room_id, 0);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HubSubscribeAndCopy)->ArgName("history")->Arg(100)->Arg(10'000);

}  // namespace
}  // namespace livechat::bench
