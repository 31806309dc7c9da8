#pragma once
// What the benchmarks feed the code: messages, batches and client frames shaped like real
// traffic (a room UUID, a ~100-character message, stompjs's frames).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fanout/batch.hpp"
#include "model/records.hpp"
#include "model/time.hpp"

namespace livechat::bench {

inline const std::string room_id = "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

// 100 characters of ordinary chat text, nothing that JSON or STOMP must escape.
inline const std::string typical_contents =
    "Has anyone tried the new build on the staging cluster? The deploy went fine but latency looks off.";

/// Message `id` of the sample room; with the tenant's nickname and profile image when asked.
inline model::message make_message(std::int64_t id, bool with_profile = false) {
  model::message message;
  message.room_id = room_id;
  message.id = id;
  message.sender = "user123";
  message.contents = typical_contents;
  message.sent_at = model::from_epoch_ms(1'778'454'660'123 + id);
  if (with_profile) {
    message.nickname = "Night Owl";
    message.profile_img_url = "https://cdn.example.com/avatars/user123/profile-64x64.png";
  }
  return message;
}

/// Messages 1..count of the sample room.
inline std::vector<model::message> make_messages(std::size_t count) {
  std::vector<model::message> messages;
  messages.reserve(count);
  for (std::size_t i = 1; i <= count; ++i) messages.push_back(make_message(static_cast<std::int64_t>(i)));
  return messages;
}

/// A batch of the sample room holding `count` messages, serialized as the hub's tick does.
inline std::shared_ptr<const fanout::batch> make_sample_batch(std::size_t count,
                                                              std::int64_t first_id = 1) {
  auto messages = make_messages(count);
  for (auto& message : messages) message.id += first_id - 1;
  return fanout::make_batch(room_id, std::move(messages), false);
}

}  // namespace livechat::bench
