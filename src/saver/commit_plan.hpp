#pragma once
// What the saver tells Redis once a batch is in the database: per shard, one call of the
// saver_commit script (src/redis/scripts/saver_commit.lua) with the rooms' committed id ranges
// and the entry ids to acknowledge. A script touches one hash slot, hence one call per shard.

#include <cstddef>
#include <string>
#include <vector>

#include "saver/handoff_entry.hpp"

namespace livechat::saver {

struct commit_call {
  int shard = 0;
  std::vector<std::string> keys;  ///< the hand-off stream, then state, history, commits per range
  std::vector<std::string> args;  ///< group, history size, range count, ranges, entry ids
  std::size_t entries = 0;        ///< entry ids among args
};

/// The saver_commit calls that acknowledge `batch` (entries of any shards, in any order):
/// each room's ids become runs of consecutive ids (`first last`), each run one range. An entry
/// whose message could not be read still counts as committed when it names a room and an id,
/// so that one unreadable entry does not hold its room's watermark back for ever.
std::vector<commit_call> plan_commits(const std::vector<handoff_entry>& batch,
                                      std::size_t history_size);

}  // namespace livechat::saver
