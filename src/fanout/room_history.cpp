#include "fanout/room_history.hpp"

#include <algorithm>
#include <cassert>

namespace livechat::fanout {

namespace {

// Chunks grow from a few slots to this many: a room with one message does not pay for 64
// default messages, and a long history is not a list of tiny allocations.
constexpr std::size_t first_chunk_slots = 4;
constexpr std::size_t max_chunk_slots = 64;

}  // namespace

// Slots are written once, under the owner's lock, before any view covers them; `next` is set
// once, when the chunk is full, before any view reaches past it. Readers therefore never read
// what is being written.
struct history_chunk {
  explicit history_chunk(std::size_t capacity)
      : slots(std::make_unique<model::message[]>(capacity)), capacity(capacity) {}

  // The default destructor: dropping a chain recurses once per chunk. An iterative unlink
  // (test use_count() == 1, then take `next`) raced with the writer linking a new tail: the
  // count is read relaxed, so nothing orders the writer's `next` before the reader's read
  // (ThreadSanitizer, RoomHistoryStressTest). Issue 11 note: bound the chain a held view pins.
  std::unique_ptr<model::message[]> slots;
  const std::size_t capacity;
  std::shared_ptr<history_chunk> next;
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
  auto skip = static_cast<std::size_t>(first_id() - first_id_);
  const history_chunk* chunk = chunk_.get();
  std::size_t slot = offset_;
  while (skip >= chunk->capacity - slot) {
    skip -= chunk->capacity - slot;
    chunk = chunk->next.get();
    slot = 0;
  }
  slot += skip;
  std::size_t left = std::min(limit, static_cast<std::size_t>(end_id() - first_id()));
  copied.reserve(left);
  while (left > 0) {
    if (slot == chunk->capacity) {
      chunk = chunk->next.get();
      slot = 0;
    }
    copied.push_back(chunk->slots[slot++]);
    --left;
  }
  return copied;
}

room_history::room_history(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

void room_history::append(const model::message& message) {
  assert(count_ == 0 || message.id == first_id_ + std::int64_t(count_));
  if (!tail_ || tail_used_ == tail_->capacity) {
    const std::size_t slots = std::min(
        tail_ ? std::min(tail_->capacity * 2, max_chunk_slots) : first_chunk_slots, capacity_);
    auto chunk = std::make_shared<history_chunk>(slots);
    if (tail_) {
      tail_->next = chunk;
    } else {
      head_ = chunk;
      head_offset_ = 0;
    }
    tail_ = std::move(chunk);
    tail_used_ = 0;
  }
  tail_->slots[tail_used_++] = message;
  if (count_ == 0) first_id_ = message.id;
  if (++count_ <= capacity_) return;
  // One too many: the oldest goes. Its slot stays written until no view needs its chunk.
  ++first_id_;
  --count_;
  if (++head_offset_ == head_->capacity) {
    head_ = head_->next;
    head_offset_ = 0;
  }
}

void room_history::clear() {
  head_.reset();
  tail_.reset();
  head_offset_ = 0;
  tail_used_ = 0;
  first_id_ = 0;
  count_ = 0;
}

history_view room_history::view() const {
  history_view whole;
  whole.chunk_ = head_;
  whole.offset_ = head_offset_;
  whole.first_id_ = first_id_;
  whole.count_ = count_;
  return whole;
}

}  // namespace livechat::fanout
