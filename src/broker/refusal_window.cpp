#include "broker/refusal_window.hpp"

#include <algorithm>

namespace livechat::broker {

void refusal_window::close(const std::string& room_id) {
  ++sequence_;
  rooms_[room_id].closed_at = sequence_;
  remember(room_id);
}

void refusal_window::left(const std::string& room_id, const std::string& user_id) {
  ++sequence_;
  auto& left = rooms_[room_id].left;
  std::erase_if(left, [&](const auto& entry) { return entry.first == user_id; });
  left.emplace_back(user_id, sequence_);
  remember(room_id);
}

void refusal_window::joined(const std::string& room_id, const std::string& user_id) {
  const auto room = rooms_.find(room_id);
  if (room == rooms_.end()) return;
  std::erase_if(room->second.left, [&](const auto& entry) { return entry.first == user_id; });
  // Its entry in order_ stays until it is forgotten in turn; forgetting a missing room is a no-op.
  if (room->second.empty()) rooms_.erase(room);
}

publish_status refusal_window::check(std::span<const model::message> messages) const {
  if (messages.empty()) return publish_status::kept;
  const auto room = rooms_.find(messages.front().room_id);
  if (room == rooms_.end()) return publish_status::kept;
  if (room->second.closed_at != 0) return publish_status::closed;
  for (const model::message& message : messages) {
    for (const auto& entry : room->second.left) {
      if (entry.first == message.sender) return publish_status::sender_left;
    }
  }
  return publish_status::kept;
}

void refusal_window::remember(const std::string& room_id) {
  order_.emplace_back(sequence_, room_id);
  if (order_.size() <= capacity_) return;
  // Plain variables, not a structured binding: clang 14 cannot capture a binding in a lambda.
  const std::uint64_t oldest = order_.front().first;
  const std::string oldest_room_id = std::move(order_.front().second);
  order_.pop_front();
  const auto room = rooms_.find(oldest_room_id);
  if (room == rooms_.end()) return;
  if (room->second.closed_at == oldest) room->second.closed_at = 0;
  std::erase_if(room->second.left, [&](const auto& entry) { return entry.second == oldest; });
  if (room->second.empty()) rooms_.erase(room);
}

}  // namespace livechat::broker
