#include "broker/memory_broker.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "metrics/metrics.hpp"

namespace livechat::broker {

memory_broker::memory_broker(store::store& store, message_sink& hub)
    : store_(store), hub_(hub), writer_([this] { run_writer(); }) {}

memory_broker::~memory_broker() { stop(); }

void memory_broker::publish(std::vector<model::message> messages, publish_callback done) {
  {
    std::scoped_lock lock{mutex_};
    if (!stopping_) {
      queue_.push_back(pending{.messages = std::move(messages), .done = std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(publish_status::unavailable, {});
}

// Through the writer, so that whatever was published before is delivered before the event, and
// whatever is published after it is refused.
void memory_broker::close(const std::string& room_id) { enqueue_event(event::close, room_id, {}); }

void memory_broker::left(const std::string& room_id, const std::string& user_id) {
  enqueue_event(event::left, room_id, user_id);
}

void memory_broker::joined(const std::string& room_id, const std::string& user_id) {
  enqueue_event(event::joined, room_id, user_id);
}

void memory_broker::enqueue_event(event kind, const std::string& room_id,
                                  const std::string& user_id) {
  std::scoped_lock lock{mutex_};
  queue_.push_back(pending{.kind = kind, .room_id = room_id, .user_id = user_id});
  wake_.notify_one();
}

std::vector<model::message> memory_broker::history_after(const std::string& room_id,
                                                         std::int64_t after_id,
                                                         std::int64_t limit) {
  return store_.messages_after(room_id, after_id, limit);
}

std::vector<model::message> memory_broker::history_before(const std::string& room_id,
                                                          std::int64_t before_id,
                                                          std::int64_t limit) {
  return store_.messages_before(room_id, before_id, limit);
}

void memory_broker::stop() {
  {
    std::scoped_lock lock{mutex_};
    stopping_ = true;
    wake_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

void memory_broker::run_writer() {
  std::vector<pending> group;
  for (;;) {
    {
      std::unique_lock lock{mutex_};
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything accepted is committed
      group.swap(queue_);
    }
    commit(group);
    group.clear();
  }
}

void memory_broker::apply_in_order(std::vector<pending>& group) {
  for (pending& item : group) {
    switch (item.kind) {
      case event::publish: item.outcome = refusal_of(item); break;
      case event::close: refusals_.close(item.room_id); break;
      case event::left: refusals_.left(item.room_id, item.user_id); break;
      case event::joined: refusals_.joined(item.room_id, item.user_id); break;
    }
  }
}

publish_status memory_broker::refusal_of(const pending& publish) {
  const publish_status status = refusals_.check(publish.messages);
  if (status != publish_status::sender_left) return status;
  // Rare (a send raced an exit), so a store read here costs nothing on the usual path. A join
  // and an exit of the same member can reach the queue in the other order than the store saw
  // them; the store has the last word on membership.
  try {
    for (const model::message& message : publish.messages) {
      if (!store_.is_member(message.room_id, message.sender)) return publish_status::sender_left;
    }
  } catch (const std::exception& error) {
    spdlog::error("could not check the membership of a sender who left: {}", error.what());
    return publish_status::unavailable;
  }
  for (const model::message& message : publish.messages) {
    refusals_.joined(message.room_id, message.sender);
  }
  return publish_status::kept;
}

void memory_broker::commit(std::vector<pending>& group) {
  apply_in_order(group);
  // Ids are given here, at commit time, so that a failed commit takes none: the sequence
  // stays without gaps.
  std::vector<model::message> rows;
  std::unordered_map<std::string, std::int64_t> restore;
  // Only between commits: every cached id is then in the store, where the next read finds it.
  if (last_ids_.size() >= last_ids_limit) last_ids_.clear();
  try {
    for (pending& publish : group) {
      if (publish.kind != event::publish || publish.outcome != publish_status::kept) continue;
      for (model::message& message : publish.messages) {
        auto last = last_ids_.find(message.room_id);
        if (last == last_ids_.end()) {
          // Cached only once read: a failed read must not leave 0 behind as the last id.
          last = last_ids_.emplace(message.room_id, store_.last_message_id(message.room_id)).first;
        }
        restore.try_emplace(message.room_id, last->second);
        message.id = ++last->second;
        rows.push_back(message);
      }
    }
    if (!rows.empty()) {
      const auto started = std::chrono::steady_clock::now();
      store_.append_messages(rows);
      metrics::counters().commit_duration.observe(std::chrono::steady_clock::now() - started);
    }
  } catch (const std::exception& error) {
    spdlog::error("could not keep {} messages: {}", rows.size(), error.what());
    for (const auto& [room_id, last_id] : restore) last_ids_[room_id] = last_id;
    for (pending& item : group) deliver(item, false);
    return;
  }
  metrics::counters().messages_accepted.fetch_add(rows.size(), std::memory_order_relaxed);
  for (pending& item : group) deliver(item, true);
}

void memory_broker::deliver(pending& item, bool committed) {
  switch (item.kind) {
    case event::publish:
      if (item.outcome != publish_status::kept) {
        item.done(item.outcome, {});
      } else if (!committed) {
        item.done(publish_status::unavailable, {});
      } else {
        if (!item.messages.empty()) hub_.append(item.messages.front().room_id, item.messages);
        item.done(publish_status::kept, item.messages);
      }
      break;
    // The hub hears of a close or an exit even when the commit failed: the store has it.
    case event::close: hub_.close(item.room_id); break;
    case event::left: hub_.left(item.room_id, item.user_id); break;
    case event::joined: break;
  }
}

}  // namespace livechat::broker
