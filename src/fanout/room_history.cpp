#include "fanout/room_history.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>

namespace livechat::fanout {

namespace {

// Chunks grow from a few slots to at least 64 (capacity / 64 for a long history): a room with
// one message does not pay for 64 default messages, a long history is not a list of tiny
// allocations, and the list copied when a chunk is added holds at most about 65 pointers,
// whatever HISTORY_SIZE is.
constexpr std::size_t first_chunk_slots = 4;
constexpr std::size_t min_max_chunk_slots = 64;
constexpr std::size_t chunks_per_history = 64;

}  // namespace

// Slots are written once, under the owner's lock, before any view covers them. Readers
// therefore never read what is being written. A chunk knows nothing of the others: the list
// that orders them is the history's, replaced whole (never changed) when a chunk is added.
struct history_chunk {
  explicit history_chunk(std::size_t capacity)
      : slots(std::make_unique<model::message[]>(capacity)), capacity(capacity) {}

  std::unique_ptr<model::message[]> slots;
  const std::size_t capacity;
};

history_view history_view::after(std::int64_t after_id) const {
  history_view narrowed = *this;
  if (after_id != std::numeric_limits<std::int64_t>::max()) {
    narrowed.from_id_ = std::max(from_id_, after_id + 1);
  } else {
    narrowed.count_ = 0;  // after everything
  }
  return narrowed;
}

std::vector<model::message> history_view::messages(std::size_t limit) const {
  std::vector<model::message> copied;
  if (empty()) return copied;
  // Walk to the first id, then copy.
  const history_chunk_list& chunks = *chunks_;
  auto skip = static_cast<std::size_t>(first_id() - first_id_);
  std::size_t index = chunk_index_;
  std::size_t slot = offset_;
  while (skip >= chunks[index]->capacity - slot) {
    skip -= chunks[index]->capacity - slot;
    ++index;
    slot = 0;
  }
  slot += skip;
  std::size_t left = std::min(limit, static_cast<std::size_t>(end_id() - first_id()));
  copied.reserve(left);
  while (left > 0) {
    if (slot == chunks[index]->capacity) {
      ++index;
      slot = 0;
    }
    copied.push_back(chunks[index]->slots[slot++]);
    --left;
  }
  return copied;
}

std::size_t history_view::pinned_slots() const {
  std::size_t slots = 0;
  if (chunks_) {
    for (const auto& chunk : *chunks_) slots += chunk->capacity;
  }
  return slots;
}

room_history::room_history(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      max_chunk_slots_(std::max(min_max_chunk_slots, capacity_ / chunks_per_history)) {}

void room_history::append(const model::message& message) {
  assert(count_ == 0 || message.id == first_id_ + std::int64_t(count_));
  if (!chunks_ || tail_used_ == chunks_->back()->capacity) {
    const std::size_t slots =
        std::min(chunks_ ? std::min(chunks_->back()->capacity * 2, max_chunk_slots_)
                         : first_chunk_slots,
                 capacity_);
    add_chunk(std::make_shared<history_chunk>(slots));
  }
  chunks_->back()->slots[tail_used_++] = message;
  if (count_ == 0) first_id_ = message.id;
  if (++count_ <= capacity_) return;
  // One too many: the oldest goes. Its chunk stays in this list (and in the views that hold
  // it) and is left out of the next list.
  ++first_id_;
  --count_;
  if (++head_offset_ == (*chunks_)[head_index_]->capacity) {
    ++head_index_;
    head_offset_ = 0;
  }
}

void room_history::add_chunk(std::shared_ptr<history_chunk> added) {
  auto next = std::make_shared<history_chunk_list>();
  if (chunks_) {
    // The head is never past the tail: the newest message is always kept.
    next->reserve(chunks_->size() - head_index_ + 1);
    next->insert(next->end(), chunks_->begin() + std::ptrdiff_t(head_index_), chunks_->end());
  }
  next->push_back(std::move(added));
  head_index_ = 0;
  tail_used_ = 0;
  chunks_ = std::move(next);
}

void room_history::clear() {
  chunks_.reset();
  head_index_ = 0;
  head_offset_ = 0;
  tail_used_ = 0;
  first_id_ = 0;
  count_ = 0;
}

history_view room_history::view() const {
  history_view whole;
  whole.chunks_ = chunks_;
  whole.chunk_index_ = head_index_;
  whole.offset_ = head_offset_;
  whole.first_id_ = first_id_;
  whole.count_ = count_;
  return whole;
}

}  // namespace livechat::fanout
