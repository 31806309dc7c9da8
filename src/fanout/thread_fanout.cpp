#include "fanout/thread_fanout.hpp"

#include <boost/asio/post.hpp>

#include <iterator>

namespace livechat::fanout {

namespace {

// The batch as this thread's listeners share it: a handle with a reference count of this
// thread's own. Every connection that queues the batch counts a reference; on one shared count,
// two threads doing that thousands of times a pass would pass its cache line back and forth.
std::shared_ptr<const batch> local_handle(const std::shared_ptr<const batch>& shared) {
  auto holder = std::make_shared<const std::shared_ptr<const batch>>(shared);
  return {holder, holder->get()};
}

}  // namespace

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
  for (const auto& shared : batches) {
    const auto found = rooms_.find(shared->room_id);
    if (found == rooms_.end()) continue;
    const auto delivered = local_handle(shared);
    auto& listeners = found->second;
    for (auto position = listeners.begin(); position != listeners.end();) {
      // Step first: the listener may unlink itself (a subscriber given up as too slow).
      listener& subscriber = *position++;
      delivery_sink* sink = subscriber.deliver(delivered);
      if (sink != nullptr) messages_queued += delivered->messages.size();
      if (sink != nullptr && !sink->flush_hook::is_linked()) to_flush_.push_back(*sink);
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
  // One write per connection per pass, however many rooms and messages it got. A slice
  // already posted will reach the connections added now.
  if (!flush_posted_) flush_pending(executor_ ? flush_slice_ : to_flush_.size());
}

void thread_fanout::flush_pending(std::size_t limit) {
  for (std::size_t flushed = 0; flushed < limit && !to_flush_.empty(); ++flushed) {
    delivery_sink& sink = to_flush_.front();
    to_flush_.pop_front();
    sink.flush_deliveries();
  }
  if (to_flush_.empty() || flush_posted_ || !executor_) return;
  flush_posted_ = true;
  boost::asio::post(executor_, [this] {
    flush_posted_ = false;
    flush_pending(flush_slice_);
  });
}

std::size_t thread_fanout::flushes_pending() const {
  return static_cast<std::size_t>(std::distance(to_flush_.begin(), to_flush_.end()));
}

std::size_t thread_fanout::listener_count() const {
  std::size_t count = 0;
  for (const auto& [room_id, listeners] : rooms_) count += listeners.size();
  return count;
}

}  // namespace livechat::fanout

namespace livechat::fanout {

void thread_fanout::start_housekeeping(std::chrono::milliseconds interval) {
  housekeeping_timer_.emplace(executor_);
  schedule_housekeeping(interval);
}

void thread_fanout::schedule_housekeeping(std::chrono::milliseconds interval) {
  housekeeping_timer_->expires_after(interval);
  housekeeping_timer_->async_wait([this, interval](const boost::system::error_code& error) {
    if (error) return;
    const auto now = std::chrono::steady_clock::now();
    for (auto position = streams_.begin(); position != streams_.end();) {
      delivery_sink& stream = *position++;  // step first: a stream may unlink itself
      stream.on_housekeeping(now);
    }
    schedule_housekeeping(interval);
  });
}

void thread_fanout::shut_down_streams() {
  flush_pending(to_flush_.size());
  // Closing may unlink a stream: walk a copy.
  std::vector<delivery_sink*> streams;
  for (delivery_sink& stream : streams_) streams.push_back(&stream);
  for (delivery_sink* stream : streams) stream->shut_down();
}

}  // namespace livechat::fanout
