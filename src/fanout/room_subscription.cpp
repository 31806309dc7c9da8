#include "fanout/room_subscription.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "metrics/metrics.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace livechat::fanout {

namespace {

// A replay goes in pages (from the store, or copied from memory), so a subscriber far behind
// never makes one huge read. A page is pinned against the connection's output limit until it
// is queued: 64 of the largest messages (~8 KiB each) leave room under 1 MiB for the queue.
constexpr std::int64_t replay_page_size = 64;
// Live batches held while a replay runs; past this the replay is hopelessly behind.
constexpr std::size_t max_held_batches = 4096;
// A replay is queued a chunk at a time while the connection's queue is under a quarter of its
// limit, so catching up on more than the limit never counts as falling behind. (32 of the
// largest messages, ~8 KiB each, still leave the queue well under its limit.)
constexpr std::size_t replay_chunk_messages = 32;
constexpr std::size_t replay_queue_share = 4;

// What a message held for a replay costs the connection, roughly: its text and its record.
std::size_t pinned_size(std::span<const model::message> messages) {
  std::size_t bytes = 0;
  for (const auto& message : messages) {
    bytes += sizeof(model::message) + message.room_id.size() + message.sender.size() +
             message.contents.size() + message.nickname.size() + message.profile_img_url.size();
  }
  return bytes;
}

}  // namespace

room_subscription::room_subscription(delivery_services& services, std::string room_id,
                                     std::optional<std::int64_t> after_id, bool known_closed,
                                     std::string member)
    : listener(std::move(room_id)),
      services_(services),
      after_id_(after_id),
      known_closed_(known_closed),
      member_(std::move(member)) {}

room_subscription::~room_subscription() {
  // The connection stops its subscriptions before it goes (what is pinned is given back to
  // its queue then); only the registrations may be left here.
  assert(!replay_ || replay_->pinned == 0);
  unregister();
}

void room_subscription::start(std::size_t thread_index, boost::asio::any_io_executor executor) {
  thread_index_ = thread_index;
  // Local routing first, then the hub: batches flushed from now on reach this thread, and the
  // snapshot covers everything before.
  services_.thread_fanouts[thread_index_]->add(*this);
  replay_ = std::make_unique<replay_state>();
  replay_->executor = std::move(executor);
  auto& snapshot = replay_->snapshot;
  snapshot = services_.hub.subscribe(room_id(), thread_index_,
                                     after_id_.value_or(std::numeric_limits<std::int64_t>::max()));
  registered_ = true;
  if (known_closed_) snapshot.closed = true;

  if (!after_id_) {
    // Live only. When this node has seen no message of the room yet, the first batch is taken
    // whole, whatever its ids.
    cursor_ = subscription_cursor(snapshot.last_id, snapshot.last_id > 0);
    return finish_replay();
  }
  cursor_ = subscription_cursor(*after_id_);
  const bool memory_has_all_after =
      (snapshot.oldest_held_id > 0 && snapshot.oldest_held_id <= *after_id_ + 1) ||
      (snapshot.last_id > 0 && snapshot.last_id <= *after_id_);
  if (memory_has_all_after) return replay_from_memory();
  fetch_history(*after_id_);
}

void room_subscription::replay_from_memory() {
  // The hub's view is shared, not pinned; each page copied from it is (the copy happens here,
  // outside the hub's lock).
  auto& memory = replay_->snapshot.recent;
  memory = memory.after(cursor_.last_seen());
  auto page = memory.messages(replay_page_size);
  if (!page.empty()) memory = memory.after(page.back().id);
  if (memory.empty()) {
    replay_->memory_replayed = true;
    memory = {};  // releases the hub's chunks
  }
  start_page(std::move(page));
}

void room_subscription::start_page(std::vector<model::message> page) {
  if (!pin(pinned_size(page))) return give_up();
  replay_->page = std::move(page);
  replay_->position = 0;
  pump_replay();
}

void room_subscription::pump_replay() {
  const std::size_t threshold = services_.output_limit_bytes / replay_queue_share;
  auto& replay = *replay_;
  const auto wait_for_drain = [&] {
    // on_output_drained() picks up from here once the connection has written some.
    replay.waiting_for_drain = true;
    sink().flush_deliveries();
  };
  while (replay.position < replay.page.size()) {
    if (output().bytes() >= threshold) return wait_for_drain();
    const std::size_t count = std::min(replay_chunk_messages, replay.page.size() - replay.position);
    const auto chunk = std::span(replay.page).subspan(replay.position, count);
    // Unpinned before it is queued: the queue counts it from here.
    const std::size_t chunk_bytes = pinned_size(chunk);
    output().unpin(chunk_bytes);
    replay.pinned -= chunk_bytes;
    if (!send_replay(chunk)) return;
    replay.position += count;
  }
  replay.page = {};
  replay.position = 0;
  // The next page is pinned as a whole: it waits for room as the chunks do, so that queue and
  // pins stay under the limit together.
  if (output().bytes() >= threshold) return wait_for_drain();
  sink().flush_deliveries();
  if (replay.more_in_store) {
    replay.more_in_store = false;
    return fetch_history(cursor_.last_seen());
  }
  // The store's pages are done; what memory held at subscription time may go further.
  if (!replay.memory_replayed) return replay_from_memory();
  finish_replay();
}

void room_subscription::on_output_drained() {
  if (stopped_ || !replay_ || !replay_->waiting_for_drain) return;
  if (output().bytes() >= services_.output_limit_bytes / replay_queue_share) return;
  replay_->waiting_for_drain = false;
  pump_replay();
}

void room_subscription::stop() {
  if (stopped_) return;
  stopped_ = true;
  // The replay state itself stays until the subscription goes: stop() may come from inside
  // the replay (a subscriber given up).
  if (replay_) {
    replay_->held.clear();
    unpin_all();
  }
  unregister();
}

void room_subscription::unregister() {
  if (!registered_) return;
  registered_ = false;
  services_.thread_fanouts[thread_index_]->remove(*this);
  services_.hub.unsubscribe(room_id(), thread_index_);
}

void room_subscription::fetch_history(std::int64_t after_id) {
  boost::asio::post(services_.workers, [weak = weak_from_this(), services = &services_,
                                        room_id = room_id(), after_id, executor = replay_->executor] {
    std::vector<model::message> page;
    bool failed = false;
    try {
      page = services->broker.history_after(room_id, after_id, replay_page_size);
    } catch (const std::exception& error) {
      spdlog::warn("history of {} after {} unavailable: {}", room_id, after_id, error.what());
      failed = true;
    }
    boost::asio::post(executor, [weak, page = std::move(page), failed]() mutable {
      const auto self = weak.lock();
      if (!self || self->stopped_) return;
      if (failed) return self->give_up();
      self->on_history(std::move(page));
    });
  });
}

void room_subscription::on_history(std::vector<model::message> page) {
  replay_->more_in_store = static_cast<std::int64_t>(page.size()) == replay_page_size;
  start_page(std::move(page));
}

void room_subscription::finish_replay() {
  // Live from here: the replay state goes, what it held is delivered (and queued, so it is no
  // longer pinned).
  unpin_all();
  const auto replay = std::move(replay_);
  if (replay->snapshot.closed) {
    closed_ = true;
    if (!send_closed()) return give_up();
  }
  for (const auto& delivered : replay->held) {
    if (closed_) break;  // nothing follows `closed`, but what was queued must still be written
    if (!deliver_live(delivered)) return;  // gave up
  }
  sink().flush_deliveries();
}

bool room_subscription::send_replay(std::span<const model::message> messages) {
  if (messages.empty()) return true;
  const auto first_new = std::find_if(messages.begin(), messages.end(), [this](const auto& message) {
    return message.id > cursor_.last_seen();
  });
  if (first_new == messages.end()) return true;
  if (!send_messages(std::span(first_new, messages.end()))) {
    give_up();
    return false;
  }
  cursor_.advance(messages.back().id);
  return true;
}

delivery_sink* room_subscription::deliver(const std::shared_ptr<const batch>& delivered) {
  if (stopped_ || closed_) return nullptr;
  if (replay_) {
    // A held batch is shared, but it is this subscriber that keeps it alive: it counts.
    if (replay_->held.size() >= max_held_batches || !pin(delivered->sse_events.size())) {
      give_up();
      return nullptr;
    }
    replay_->held.push_back(delivered);
    return nullptr;
  }
  return deliver_live(delivered) ? &sink() : nullptr;
}

std::optional<std::int64_t> room_subscription::exit_point(const batch& delivered) const {
  if (member_.empty()) return std::nullopt;
  for (const member_exit& exit : delivered.exits) {
    if (exit.user_id == member_) return exit.after_id;
  }
  return std::nullopt;
}

bool room_subscription::deliver_live(const std::shared_ptr<const batch>& delivered) {
  if (closed_) return false;
  const auto exit_after = delivered->exits.empty() ? std::nullopt : exit_point(*delivered);
  // A batch that only carries other members' exits has nothing for this subscriber.
  if (delivered->messages.empty() && !delivered->closes_room && !exit_after) return true;
  auto plan = cursor_.examine(*delivered);
  if (plan.has_gap()) {
    // A batch this thread never got (it had no listener of the room at that tick): memory
    // still has it, unless the subscriber is very far behind.
    const auto missing = services_.hub.recent_between(room_id(), plan.gap_after, plan.gap_up_to);
    if (missing.empty() || !send_messages(missing)) {
      give_up();
      return false;
    }
    cursor_.advance(plan.gap_up_to);
    plan = cursor_.examine(*delivered);
  }
  bool queued = true;
  if (plan.whole() && !exit_after) {
    queued = send_batch(delivered);
  } else {
    // What the subscriber lacks: the ids past what it has seen, and every raw message (never
    // replayed, so never seen); up to the member's exit, if any: then `left`, then nothing.
    std::vector<model::message> messages;
    for (const model::message& message : delivered->messages) {
      if (exit_after && !message.is_raw() && message.id > *exit_after) break;
      if (message.is_raw() || message.id > cursor_.last_seen()) messages.push_back(message);
    }
    if (!messages.empty()) queued = send_messages(messages);
    if (queued && exit_after) {
      queued = send_left();
    } else if (queued && delivered->closes_room) {
      queued = send_closed();
    }
  }
  if (!queued) {
    give_up();
    return false;
  }
  // A batch of raw messages only moves no cursor (nor makes a live-only one strict).
  if (delivered->last_id() > 0) cursor_.advance(delivered->last_id());
  if (delivered->closes_room || exit_after) closed_ = true;
  return true;
}

bool room_subscription::pin(std::size_t bytes) {
  if (!output().pin(bytes)) return false;
  replay_->pinned += bytes;
  return true;
}

void room_subscription::unpin_all() {
  if (!replay_ || replay_->pinned == 0) return;
  output().unpin(replay_->pinned);
  replay_->pinned = 0;
}

void room_subscription::give_up() {
  if (stopped_) return;
  metrics::counters().slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
  stop();
  on_too_slow();
}

}  // namespace livechat::fanout
