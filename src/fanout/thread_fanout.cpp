#include "fanout/thread_fanout.hpp"

namespace livechat::fanout {

void thread_fanout::add(listener& subscriber) {
  auto found = rooms_.find(subscriber.room_id());
  if (found == rooms_.end()) found = rooms_.try_emplace(subscriber.room_id()).first;
  found->second.push_back(subscriber);
}

void thread_fanout::remove(listener& subscriber) {
  if (subscriber.is_linked()) subscriber.unlink();
  if (delivering_) {
    emptied_during_delivery_.push_back(subscriber.room_id());
    return;
  }
  const auto found = rooms_.find(subscriber.room_id());
  if (found != rooms_.end() && found->second.empty()) rooms_.erase(found);
}

void thread_fanout::deliver(const batch_list& batches) {
  delivering_ = true;
  std::uint64_t messages_queued = 0;
  for (const auto& delivered : batches) {
    const auto found = rooms_.find(delivered->room_id);
    if (found == rooms_.end()) continue;
    auto& listeners = found->second;
    for (auto position = listeners.begin(); position != listeners.end();) {
      // Step first: the listener may unlink itself (a subscriber given up as too slow).
      listener& subscriber = *position++;
      delivery_sink* sink = subscriber.deliver(delivered);
      if (sink != nullptr) messages_queued += delivered->messages.size();
      if (sink != nullptr && !sink->flush_scheduled_) {
        sink->flush_scheduled_ = true;
        sinks_to_flush_.push_back(sink);
      }
    }
  }
  delivered_.store(delivered_.load(std::memory_order_relaxed) + messages_queued,
                   std::memory_order_relaxed);
  delivering_ = false;
  for (const std::string& room_id : emptied_during_delivery_) {
    const auto found = rooms_.find(room_id);
    if (found != rooms_.end() && found->second.empty()) rooms_.erase(found);
  }
  emptied_during_delivery_.clear();
  // One write per connection per tick, however many rooms and messages it got.
  for (delivery_sink* sink : sinks_to_flush_) {
    sink->flush_scheduled_ = false;
    sink->flush_deliveries();
  }
  sinks_to_flush_.clear();
}

std::size_t thread_fanout::listener_count() const {
  std::size_t count = 0;
  for (const auto& [room_id, listeners] : rooms_) count += listeners.size();
  return count;
}

}  // namespace livechat::fanout

namespace livechat::fanout {

void thread_fanout::shut_down_streams() {
  // Closing may unlink a stream: walk a copy.
  std::vector<delivery_sink*> streams;
  for (delivery_sink& stream : streams_) streams.push_back(&stream);
  for (delivery_sink* stream : streams) stream->shut_down();
}

}  // namespace livechat::fanout
