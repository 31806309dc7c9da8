#pragma once
// A room's recent messages (the last HISTORY_SIZE), kept in chunks whose slots are written
// once and then only read, so that a view of the history is taken in constant time and read
// later without any lock while the history goes on growing and trimming. This is what makes a
// subscribe's time under the hub's lock independent of HISTORY_SIZE.
//
// room_history is the owner's (the hub's), used under the owner's lock; a history_view may be
// read on any thread, and keeps alive the chunks it covers and no other: chunks are not linked
// to each other, the history publishes an immutable list of them instead (a new list each time
// a chunk is added, at the cost of copying one pointer per chunk held: 16 for the default
// HISTORY_SIZE, at most about 65 for any, since chunks grow to HISTORY_SIZE / 64 slots). A view
// held for ever by a stuck reader pins at most the capacity plus three chunks' slots (one
// trimmed, the unused parts of the oldest and newest: under 5 % more for a long history),
// whatever the room sends after it, and dropping it frees them one by one, never by a
// recursion down a chain.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "model/records.hpp"

namespace livechat::fanout {

struct history_chunk;
using history_chunk_list = std::vector<std::shared_ptr<history_chunk>>;

/// A consistent snapshot of a room's recent messages, from a given id on. Cheap to copy;
/// narrowing it is constant time, reading it walks its chunks.
class history_view {
 public:
  history_view() = default;

  /// The oldest id in the view, 0 when empty.
  std::int64_t first_id() const { return empty() ? 0 : std::max(first_id_, from_id_); }
  /// The newest id in the view, 0 when empty.
  std::int64_t last_id() const { return empty() ? 0 : end_id() - 1; }
  /// True when the view holds no message.
  bool empty() const { return count_ == 0 || from_id_ >= end_id(); }

  /// The part of this view with ids above `after_id`. Constant time.
  history_view after(std::int64_t after_id) const;

  /// Copies of the view's first `limit` messages, ascending.
  std::vector<model::message> messages(
      std::size_t limit = std::numeric_limits<std::size_t>::max()) const;

  /// Message slots of the chunks this view keeps alive (for tests: a held view pins a bounded
  /// amount of memory).
  std::size_t pinned_slots() const;

  /// Chunks this view keeps alive: the length of the list a new chunk copies (for tests).
  std::size_t pinned_chunks() const { return chunks_ ? chunks_->size() : 0; }

 private:
  friend class room_history;

  std::int64_t end_id() const { return first_id_ + static_cast<std::int64_t>(count_); }

  std::shared_ptr<const history_chunk_list> chunks_;  // as published when the view was taken
  std::size_t chunk_index_ = 0;                       // the chunk that holds first_id_
  std::size_t offset_ = 0;                            // first_id_'s slot in it
  std::int64_t first_id_ = 0;  // the oldest message the chunks hold for us
  std::size_t count_ = 0;      // messages held from first_id_ on
  std::int64_t from_id_ = 0;   // the view starts here (narrowed by after())
};

class room_history {
 public:
  /// Keeps the newest `capacity` messages (at least 1).
  explicit room_history(std::size_t capacity);
  room_history(room_history&&) noexcept = default;
  room_history& operator=(room_history&&) noexcept = default;
  room_history(const room_history&) = delete;
  room_history& operator=(const room_history&) = delete;

  /// Adds the next message; its id follows the last one's (any id when empty). Drops the
  /// oldest past the capacity.
  void append(const model::message& message);

  /// Drops everything held (views taken before keep what they cover): after a gap, memory
  /// starts afresh from the next message.
  void clear();

  /// Everything held now, in constant time.
  history_view view() const;

  bool empty() const { return count_ == 0; }

 private:
  // Publishes a new list: the chunks from the head on, then `added`.
  void add_chunk(std::shared_ptr<history_chunk> added);

  std::size_t capacity_;
  std::size_t max_chunk_slots_;  // what a chunk grows to
  // The published list: the head chunk (holding the oldest message kept) is at head_index_, the
  // tail (holding the newest, appended to) last. Chunks before the head are trimmed ones, left
  // until the next list is made.
  std::shared_ptr<const history_chunk_list> chunks_;
  std::size_t head_index_ = 0;
  std::size_t head_offset_ = 0;  // the oldest message's slot in the head chunk
  std::size_t tail_used_ = 0;    // slots of the tail written
  std::int64_t first_id_ = 0;
  std::size_t count_ = 0;
};

}  // namespace livechat::fanout
