#include "broker/memory_broker.hpp"

#include <spdlog/spdlog.h>

#include "metrics/metrics.hpp"

namespace livechat::broker {

memory_broker::memory_broker(store::store& store, message_sink& hub)
    : store_(store), hub_(hub), writer_([this] { run_writer(); }) {}

memory_broker::~memory_broker() { stop(); }

void memory_broker::publish(std::vector<model::message> messages, publish_callback done) {
  {
    std::scoped_lock lock{mutex_};
    if (!stopping_) {
      queue_.push_back(pending_publish{std::move(messages), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(publish_status::unavailable, {});
}

void memory_broker::close(const std::string& room_id) {
  // Through the writer, so that whatever was published before is delivered before `closed`.
  std::scoped_lock lock{mutex_};
  queue_.push_back(pending_publish{{}, [this, room_id](publish_status, std::span<const model::message>) {
                                     hub_.close(room_id);
                                   }});
  wake_.notify_one();
}

void memory_broker::left(const std::string& room_id, const std::string& user_id) {
  std::scoped_lock lock{mutex_};
  queue_.push_back(pending_publish{{}, [this, room_id, user_id](publish_status,
                                                                std::span<const model::message>) {
                                     hub_.left(room_id, user_id);
                                   }});
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
  std::vector<pending_publish> group;
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

void memory_broker::commit(std::vector<pending_publish>& group) {
  // Ids are given here, at commit time, so that a failed commit takes none: the sequence
  // stays without gaps.
  std::vector<model::message> rows;
  std::unordered_map<std::string, std::int64_t> restore;
  // Only between commits: every cached id is then in the store, where the next read finds it.
  if (last_ids_.size() >= last_ids_limit) last_ids_.clear();
  try {
    for (pending_publish& publish : group) {
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
    if (!rows.empty()) store_.append_messages(rows);
  } catch (const std::exception& error) {
    spdlog::error("could not keep {} messages: {}", rows.size(), error.what());
    for (const auto& [room_id, last_id] : restore) last_ids_[room_id] = last_id;
    for (pending_publish& publish : group) publish.done(publish_status::unavailable, {});
    return;
  }
  metrics::counters().messages_accepted.fetch_add(rows.size(), std::memory_order_relaxed);
  for (pending_publish& publish : group) {
    if (!publish.messages.empty()) hub_.append(publish.messages.front().room_id, publish.messages);
    publish.done(publish_status::kept, publish.messages);
  }
}

}  // namespace livechat::broker
