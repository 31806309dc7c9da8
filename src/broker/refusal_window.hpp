#pragma once
// What memory_broker's writer remembers of the closes and exits it applied, so that a publish
// checked against the store before one of them, but queued after it, is refused rather than
// kept (the store check and the queueing are not one step). Writer thread only.
//
// Bounded: it holds the last `capacity` closes and exits. A publish is refused only if its
// check and its queueing straddle one of them; a thread would have to stall between the two
// while `capacity` others are applied for one to slip through.

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/broker.hpp"
#include "model/records.hpp"

namespace livechat::broker {

class refusal_window {
 public:
  explicit refusal_window(std::size_t capacity) : capacity_(capacity) {}

  /// The room or session ended: every later publish to it is refused.
  void close(const std::string& room_id);

  /// `user_id` left the room: their later publishes to it are refused until `joined`.
  void left(const std::string& room_id, const std::string& user_id);

  /// `user_id` is a member of the room again.
  void joined(const std::string& room_id, const std::string& user_id);

  /// `closed` or `sender_left` when something applied bars these messages (of one room);
  /// `kept` otherwise. One hash lookup when the room has no close or exit on record.
  publish_status check(std::span<const model::message> messages) const;

 private:
  struct room_bars {
    std::uint64_t closed_at = 0;                              // 0: not closed
    std::vector<std::pair<std::string, std::uint64_t>> left;  // user, when
    bool empty() const { return closed_at == 0 && left.empty(); }
  };

  // Records the event numbered `sequence_` for `room_id`, and forgets the oldest one past
  // capacity.
  void remember(const std::string& room_id);

  std::size_t capacity_;
  std::uint64_t sequence_ = 0;
  std::unordered_map<std::string, room_bars> rooms_;
  std::deque<std::pair<std::uint64_t, std::string>> order_;  // oldest first
};

}  // namespace livechat::broker
