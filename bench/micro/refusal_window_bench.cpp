// What memory_broker's writer pays per publish to refuse one queued after a close of its room or
// an exit of its sender: refusal_window::check, with the window full (16 Ki closes and exits of
// other rooms) and the room not in it (the usual case) or in it. Beside it, what the other way
// would cost: reading the sender's membership and the room's state from SQLite per publish.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "broker/refusal_window.hpp"
#include "model/records.hpp"
#include "model/time.hpp"
#include "store/sqlite_store.hpp"

namespace livechat::bench {
namespace {

constexpr std::size_t window_size = 16 * 1024;

std::vector<model::message> one_from(const std::string& room_id, const std::string& sender) {
  model::message message;
  message.room_id = room_id;
  message.sender = sender;
  message.contents = "hello";
  return {message};
}

// A window full of closes and exits of other rooms.
broker::refusal_window full_window() {
  broker::refusal_window window{window_size};
  for (std::size_t i = 0; i < window_size; ++i) {
    const std::string room_id = "00000000-0000-4000-8000-" + std::to_string(100'000'000'000 + i);
    if (i % 2 == 0) {
      window.close(room_id);
    } else {
      window.left(room_id, "user" + std::to_string(i));
    }
  }
  return window;
}

void BM_RefusalCheck_RoomNotOnRecord(benchmark::State& state) {
  const broker::refusal_window window = full_window();
  const auto publish = one_from("c0ffee00-0000-4000-8000-000000000001", "alice");
  for (auto _ : state) benchmark::DoNotOptimize(window.check(publish));
}
BENCHMARK(BM_RefusalCheck_RoomNotOnRecord);

void BM_RefusalCheck_SenderLeft(benchmark::State& state) {
  const broker::refusal_window window = full_window();
  const auto publish = one_from("00000000-0000-4000-8000-" + std::to_string(100'000'000'001),
                                "user1");
  for (auto _ : state) benchmark::DoNotOptimize(window.check(publish));
}
BENCHMARK(BM_RefusalCheck_SenderLeft);

// The alternative: the writer reads membership and the room's state from the store per publish.
void BM_StoreCheck_MemberAndRoom(benchmark::State& state) {
  const auto directory = std::filesystem::temp_directory_path() /
                         ("livechat-refusal-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  {
    store::sqlite_store store{(directory / "bench.db").string()};
    store.create_user(model::user{"alice", "$argon2id$x", model::from_epoch_ms(0)});
    const model::room room{.id = "c0ffee00-0000-4000-8000-000000000001", .name = "Lobby",
                           .creator = "alice", .password_hash = "",
                           .created_at = model::from_epoch_ms(0)};
    store.create_room(room);
    store.add_member(room.id, "alice");
    for (auto _ : state) {
      benchmark::DoNotOptimize(store.is_member(room.id, "alice"));
      benchmark::DoNotOptimize(store.find_room(room.id));
    }
  }
  std::filesystem::remove_all(directory);
}
BENCHMARK(BM_StoreCheck_MemberAndRoom);

}  // namespace
}  // namespace livechat::bench
