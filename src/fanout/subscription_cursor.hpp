#pragma once
// Where a subscriber stands in its room's id sequence, and what of each batch is new to it:
// the rule that makes delivery gap-free and duplicate-free when a replay and live batches
// overlap, or when a batch arrives before the one that should precede it was seen.

#include <cstdint>

#include "fanout/batch.hpp"

namespace livechat::fanout {

class subscription_cursor {
 public:
  /// `last_seen`: the id the subscriber has (0: none yet). With `strict` false, the first batch
  /// is taken whole whatever its ids (a live-only subscriber that knows no id yet).
  explicit subscription_cursor(std::int64_t last_seen, bool strict = true)
      : last_seen_(last_seen), strict_(strict) {}

  struct plan {
    std::size_t skip = 0;        // messages with an id the subscriber already has (the first ones)
    std::int64_t gap_after = 0;  // when gap_up_to > gap_after: ids (gap_after, gap_up_to] are
    std::int64_t gap_up_to = 0;  // missing before the batch and must be delivered first
    bool whole() const { return skip == 0 && gap_up_to <= gap_after; }
    bool has_gap() const { return gap_up_to > gap_after; }
  };

  /// What to do with `delivered`; the caller delivers, then calls advance().
  plan examine(const batch& delivered) const;

  /// The subscriber now has everything up to `id`.
  void advance(std::int64_t id);

  std::int64_t last_seen() const { return last_seen_; }

 private:
  std::int64_t last_seen_;
  bool strict_;
};

}  // namespace livechat::fanout
