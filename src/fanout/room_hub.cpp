#include "fanout/room_hub.hpp"

#include <algorithm>
#include <cassert>

#include "metrics/metrics.hpp"

namespace livechat::fanout {

namespace {

// Closed rooms remembered without listeners (see recently_closed_): a subscriber's store
// check and its subscribe are milliseconds apart, and far fewer rooms close in that time.
constexpr std::size_t recently_closed_limit = 4096;

}  // namespace

room_hub::room_hub(std::size_t thread_count, std::size_t history_size, delivery_function deliver,
                   std::function<void()> on_pending)
    : thread_count_(thread_count),
      history_size_(history_size),
      deliver_(std::move(deliver)),
      on_pending_(std::move(on_pending)) {}

room_hub::room_state& room_hub::room(std::string_view room_id) {
  auto found = rooms_.find(room_id);
  if (found == rooms_.end()) {
    found = rooms_.emplace(std::string(room_id), room_state(history_size_)).first;
    found->second.listeners_per_thread.assign(thread_count_, 0);
    found->second.closed = recently_closed_ids_.contains(room_id);
  }
  return found->second;
}

bool room_hub::mark_dirty(std::string_view room_id, room_state& state) {
  if (state.dirty) return false;
  state.dirty = true;
  dirty_rooms_.emplace_back(room_id);
  return dirty_rooms_.size() == 1;
}

void room_hub::forget_if_idle(std::string_view room_id) {
  // A room nobody here listens to costs nothing: its history is in the store, and memory
  // would only grow with every room ever written to (or closed, or only looked up).
  const auto found = rooms_.find(room_id);
  if (found == rooms_.end()) return;
  const room_state& state = found->second;
  if (state.listeners > 0 || state.dirty) return;
  if (state.closed) remember_closed(room_id);
  rooms_.erase(found);
}

void room_hub::remember_closed(std::string_view room_id) {
  if (recently_closed_ids_.contains(room_id)) return;
  if (recently_closed_.size() == recently_closed_limit) {
    recently_closed_ids_.erase(recently_closed_.front());
    recently_closed_.pop_front();
  }
  recently_closed_.emplace_back(room_id);
  recently_closed_ids_.insert(recently_closed_.back());
}

void room_hub::append(std::string_view room_id, std::span<const model::message> kept) {
  if (kept.empty()) return;
  bool first_pending = false;
  {
    std::scoped_lock lock{mutex_};
    room_state& state = room(room_id);
    for (const model::message& message : kept) {
      if (message.is_raw()) {
        // Chat Sync's raw messages are delivered in place, and never remembered.
        if (state.listeners > 0) state.pending.push_back(message);
        continue;
      }
      if (message.id <= state.last_id) continue;  // a broker never repeats; be safe all the same
      // After a gap, a batch must not join both sides: listeners then see the gap at the next
      // batch and resume from the store, which has what fell in it.
      if (state.last_id != 0 && message.id != state.last_id + 1) state.pending.clear();
      remember(state, message);
      if (state.listeners > 0) state.pending.push_back(message);
    }
    if (state.listeners > 0) {
      first_pending = mark_dirty(room_id, state);
    } else {
      forget_if_idle(room_id);
    }
  }
  if (first_pending && on_pending_) on_pending_();
}

void room_hub::remember(room_state& state, const model::message& message) const {
  // Memory holds consecutive ids only (recent_between relies on it): after a gap it starts
  // afresh, and whoever needs what fell in the gap reads the store.
  if (state.last_id != 0 && message.id != state.last_id + 1) state.history.clear();
  state.last_id = message.id;
  state.history.append(message);
}

void room_hub::recall(std::string_view room_id, std::span<const model::message> earlier) {
  std::scoped_lock lock{mutex_};
  room_state& state = room(room_id);
  for (const model::message& message : earlier) {
    if (message.id > state.last_id) remember(state, message);
  }
  forget_if_idle(room_id);
}

void room_hub::left(std::string_view room_id, std::string_view user_id) {
  bool first_pending = false;
  {
    std::scoped_lock lock{mutex_};
    const auto found = rooms_.find(room_id);
    if (found == rooms_.end() || found->second.listeners == 0) return;  // no stream to end here
    room_state& state = found->second;
    state.exits_pending.push_back(member_exit{std::string(user_id), state.last_id});
    first_pending = mark_dirty(room_id, state);
  }
  if (first_pending && on_pending_) on_pending_();
}

void room_hub::close(std::string_view room_id) {
  bool first_pending = false;
  {
    std::scoped_lock lock{mutex_};
    room_state& state = room(room_id);
    if (state.closed) return;
    state.closed = true;
    if (state.listeners == 0) {
      forget_if_idle(room_id);  // nobody to tell: only the id is remembered
      return;
    }
    state.close_pending = true;
    first_pending = mark_dirty(room_id, state);
  }
  if (first_pending && on_pending_) on_pending_();
}

subscribe_snapshot room_hub::subscribe(std::string_view room_id, std::size_t thread_index,
                                       std::int64_t after_id) {
  assert(thread_index < thread_count_);
  std::scoped_lock lock{mutex_};
  room_state& state = room(room_id);
  ++state.listeners_per_thread[thread_index];
  if (++state.listeners == 1 && broker_) broker_->subscribe(std::string(room_id));

  // Constant time, whatever the history's length: a view, not a copy, read by the subscriber
  // outside the lock.
  const history_view held = state.history.view();
  subscribe_snapshot snapshot;
  snapshot.recent = held.after(after_id);
  snapshot.oldest_held_id = held.first_id();
  snapshot.last_id = state.last_id;
  snapshot.closed = state.closed;
  return snapshot;
}

void room_hub::unsubscribe(std::string_view room_id, std::size_t thread_index) {
  std::scoped_lock lock{mutex_};
  const auto found = rooms_.find(room_id);
  if (found == rooms_.end()) return;
  room_state& state = found->second;
  assert(state.listeners_per_thread[thread_index] > 0);
  --state.listeners_per_thread[thread_index];
  --state.listeners;
  if (state.listeners == 0) {
    if (broker_) broker_->unsubscribe(found->first);
    // Nobody left to deliver to; what was pending is kept in the store and history.
    state.pending.clear();
    state.close_pending = false;
    state.exits_pending.clear();
    forget_if_idle(room_id);
  }
}

std::vector<model::message> room_hub::recent_between(std::string_view room_id,
                                                     std::int64_t after_id,
                                                     std::int64_t up_to_id) const {
  if (up_to_id <= after_id) return {};
  history_view held;
  {
    std::scoped_lock lock{mutex_};
    const auto found = rooms_.find(room_id);
    if (found == rooms_.end()) return {};
    held = found->second.history.view();
  }
  // The copy happens outside the lock. History ids are consecutive: the range is held whole
  // when its ends are.
  if (held.empty() || after_id + 1 < held.first_id() || up_to_id > held.last_id()) return {};
  return held.after(after_id).messages(static_cast<std::size_t>(up_to_id - after_id));
}

bool room_hub::has_pending() const {
  std::scoped_lock lock{mutex_};
  return !dirty_rooms_.empty();
}

void room_hub::flush() {
  struct work {
    std::string room_id;
    std::vector<model::message> messages;
    bool closes_room;
    std::vector<member_exit> exits;
    std::vector<std::uint32_t> listeners_per_thread;
  };
  std::vector<work> due;
  {
    std::scoped_lock lock{mutex_};
    due.reserve(dirty_rooms_.size());
    for (std::string& room_id : dirty_rooms_) {
      const auto found = rooms_.find(room_id);
      if (found == rooms_.end()) continue;
      room_state& state = found->second;
      state.dirty = false;
      if (state.listeners > 0 &&
          (!state.pending.empty() || state.close_pending || !state.exits_pending.empty())) {
        due.push_back(work{std::move(room_id), std::move(state.pending), state.close_pending,
                           std::move(state.exits_pending), state.listeners_per_thread});
      }
      state.pending.clear();
      state.close_pending = false;
      state.exits_pending.clear();
      // Its last listener left while something was pending: only now is the room idle.
      if (state.listeners == 0) forget_if_idle(room_id);
    }
    dirty_rooms_.clear();
  }

  metrics::counters().delivery_batches.fetch_add(due.size(), std::memory_order_relaxed);
  // Serialization happens here, once per room and tick, outside the lock.
  std::vector<batch_list> per_thread(thread_count_);
  for (work& item : due) {
    auto made = make_batch(std::move(item.room_id), std::move(item.messages), item.closes_room,
                           std::move(item.exits));
    if (observer_ && !made->messages.empty()) observer_(*made);
    for (std::size_t thread = 0; thread < thread_count_; ++thread) {
      if (item.listeners_per_thread[thread] > 0) per_thread[thread].push_back(made);
    }
  }
  for (std::size_t thread = 0; thread < thread_count_; ++thread) {
    if (!per_thread[thread].empty()) deliver_(thread, std::move(per_thread[thread]));
  }
}

}  // namespace livechat::fanout
