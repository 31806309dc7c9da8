#include "saver/commit_plan.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

#include "redis/key_layout.hpp"

namespace livechat::saver {

std::vector<commit_call> plan_commits(const std::vector<handoff_entry>& batch,
                                      std::size_t history_size) {
  // Per shard: its entries' ids, and each room's message ids (sorted and unique by the set).
  struct shard_work {
    std::vector<std::string_view> entry_ids;
    std::vector<std::pair<std::string_view, std::int64_t>> messages;
  };
  std::map<int, shard_work> shards;
  for (const handoff_entry& entry : batch) {
    shard_work& work = shards[entry.shard];
    work.entry_ids.push_back(entry.entry_id);
    if (!entry.room_id.empty() && entry.id > 0) work.messages.emplace_back(entry.room_id, entry.id);
  }

  std::vector<commit_call> calls;
  for (auto& [shard, work] : shards) {
    // std:: rather than std::ranges:: algorithms: clang 14 (the sanitizer builds) cannot compile
    // libstdc++ 12's ranges::unique.
    std::sort(work.messages.begin(), work.messages.end());
    work.messages.erase(std::unique(work.messages.begin(), work.messages.end()), work.messages.end());

    commit_call call;
    call.shard = shard;
    call.keys.push_back(redis::handoff_key(shard));
    std::vector<std::string> ranges;
    for (std::size_t i = 0; i < work.messages.size();) {
      // A run: the same room, each id one more than the one before.
      std::size_t j = i + 1;
      while (j < work.messages.size() && work.messages[j].first == work.messages[i].first &&
             work.messages[j].second == work.messages[j - 1].second + 1) {
        ++j;
      }
      const redis::room_keys keys = redis::keys_for_room(work.messages[i].first);
      call.keys.insert(call.keys.end(), {keys.state, keys.history, keys.commits});
      ranges.push_back(std::to_string(work.messages[i].second));
      ranges.push_back(std::to_string(work.messages[j - 1].second));
      i = j;
    }
    call.args = {std::string(redis::saver_group), std::to_string(history_size),
                 std::to_string(ranges.size() / 2)};
    call.args.insert(call.args.end(), std::make_move_iterator(ranges.begin()),
                     std::make_move_iterator(ranges.end()));
    call.args.insert(call.args.end(), work.entry_ids.begin(), work.entry_ids.end());
    call.entries = work.entry_ids.size();
    calls.push_back(std::move(call));
  }
  return calls;
}

}  // namespace livechat::saver
