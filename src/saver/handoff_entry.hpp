#pragma once
// One entry of a shard's hand-off stream (`{lc:S}:handoff`, fields room, id, m: written by the
// publish script), as the saver reads it from XREADGROUP and XAUTOCLAIM replies.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/records.hpp"
#include "redis/reply.hpp"

namespace livechat::saver {

struct handoff_entry {
  int shard = 0;
  std::string entry_id;  ///< the stream entry's id, to acknowledge
  std::string room_id;   ///< empty when the entry names no room
  std::int64_t id = 0;   ///< the message id; 0 when the entry holds none
  /// The message to store; nullopt when `m` is not a message this saver can read.
  std::optional<model::message> message;
};

/// Appends the entries of one stream's entry list (`[[id, [field, value…]]…]`) read from
/// `shard`'s hand-off stream. Entries whose fields are missing (an XAUTOCLAIM of a deleted
/// entry in older Redis) come with no room, no id and no message.
void append_entries(const redis::reply& entries, int shard, std::vector<handoff_entry>& out);

/// Appends every entry of an XREADGROUP reply (`[[stream, entries]…]`, or nil after a BLOCK
/// that timed out); streams that are not hand-off streams are ignored.
void append_read_reply(const redis::reply& answer, std::vector<handoff_entry>& out);

/// The message in a hand-off entry's `m` field: the Message JSON (SPEC.md section 5) with
/// `sender`, `contents`, `messageTimestamp` and optionally `nickname` and `profileImgUrl`.
/// nullopt when it is not one.
std::optional<model::message> parse_message(std::string_view json, std::string_view room_id,
                                            std::int64_t id);

}  // namespace livechat::saver
