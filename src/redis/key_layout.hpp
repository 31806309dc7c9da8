#pragma once
// Where a room lives in Redis. Rooms (chat rooms and sessions alike) are grouped into
// `shard_count` shards; every key of a room and its shard's hand-off stream share the hash tag
// `{lc:<shard>}`, so that each Lua script touches one hash slot and Redis Cluster can host them.
// This layout is stored data: changing shard_count or the names needs a migration.
//
//   {lc:S}:room:<id>:state    hash: seq (last id), closed / ended (last id when it happened),
//                             committed (the saver's watermark: every id <= it is in the database)
//   {lc:S}:room:<id>:history  stream: message <id> at entry `<id>-0` (field `m`), control events
//                             after message <id> at `<id>-1`, `<id>-2`… (field `c`)
//   {lc:S}:room:<id>:left     set: user ids whose membership was revoked (exit), until rejoined
//   {lc:S}:room:<id>:commits  sorted set: committed id ranges above the watermark, not yet
//                             contiguous with it (member last id, score first id)
//   {lc:S}:room:<id>:billed   bitmap: bit n set once message n was counted for billing
//   {lc:S}:room:<id>:raw-biller  string: the node that counts the session's raw messages (a lease)
//   {lc:S}:room:<id>:claims   hash: per node id, its last billing claim's number and answer;
//                             field raw-mark: the raw messages' coverage mark
//   {lc:S}:handoff            stream: one entry per message for the saver (fields room, id, m)
//   channel {lc:S}:room:<id>  the room's pub/sub channel (a JSON array of messages and events)
//
// Chat Sync's raw channels are outside this layout: `<sessionId>` and `<sessionId>_END`.

#include <cstdint>
#include <string>
#include <string_view>

namespace livechat::redis {

inline constexpr int shard_count = 16;

/// The consumer group the savers read each shard's hand-off stream with.
inline constexpr std::string_view saver_group = "savers";

/// The pattern that hears every Chat Sync session end, on every node.
inline constexpr std::string_view raw_end_pattern = "*_END";

/// FNV-1a (32 bits) of the room id modulo shard_count: stable across nodes and versions.
int shard_of(std::string_view room_id);

/// `{lc:<shard>}:handoff`.
std::string handoff_key(int shard);

struct room_keys {
  std::string state;
  std::string history;
  std::string left;
  std::string commits;
  std::string handoff;
  std::string channel;
};

/// Every key and the channel of `room_id`.
room_keys keys_for_room(std::string_view room_id);

struct billing_keys {
  std::string billed;
  std::string raw_biller;
  std::string claims;
};

/// The keys the `billing_claim` script keeps for session `room_id`.
billing_keys billing_keys_for(std::string_view room_id);

/// The history stream's entry id of message `id` (`<id>-0`), for XRANGE.
std::string history_entry_id(std::int64_t id);

}  // namespace livechat::redis
