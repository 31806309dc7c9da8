#include "redis/key_layout.hpp"

namespace livechat::redis {

namespace {

std::string shard_tag(int shard) { return "{lc:" + std::to_string(shard) + "}"; }

// `{lc:S}:room:<id>`: the room's channel, and the start of each of its keys.
std::string room_prefix(int shard, std::string_view room_id) {
  return shard_tag(shard) + ":room:" + std::string(room_id);
}

}  // namespace

int shard_of(std::string_view room_id) {
  std::uint32_t hash = 2166136261u;
  for (unsigned char byte : room_id) {
    hash ^= byte;
    hash *= 16777619u;
  }
  return static_cast<int>(hash % shard_count);
}

std::string handoff_key(int shard) { return shard_tag(shard) + ":handoff"; }

room_keys keys_for_room(std::string_view room_id) {
  int shard = shard_of(room_id);
  std::string room = room_prefix(shard, room_id);
  return {room + ":state", room + ":history", room + ":left", room + ":commits",
          handoff_key(shard), room};
}

billing_keys billing_keys_for(std::string_view room_id) {
  const std::string room = room_prefix(shard_of(room_id), room_id);
  return {room + ":billed", room + ":raw-biller", room + ":claims"};
}

std::string history_entry_id(std::int64_t id) { return std::to_string(id) + "-0"; }

}  // namespace livechat::redis
