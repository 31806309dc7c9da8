#pragma once
// Sending to and reading from a chat room: the rules a member's message must pass (member,
// room open, length, rate) before it goes to the broker, and the history calls.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "model/client_error.hpp"
#include "rooms/rate_limiter.hpp"
#include "store/store.hpp"

namespace livechat::rooms {

/// The outcome of a send: the kept message, or why it was refused.
struct send_outcome {
  std::optional<model::message> kept;
  model::client_errc error = model::client_errc::internal;
  std::string error_message;
};

using send_callback = std::function<void(send_outcome)>;

class message_service {
 public:
  message_service(store::store& store, broker::broker& broker, rate_limiter& limiter,
                  std::size_t max_message_length);

  /// Checks that `sender` may send `contents` to `room_id` and publishes it; throws
  /// client_error (NOT_FOUND, NOT_A_MEMBER, ROOM_CLOSED, VALIDATION_ERROR, RATE_LIMITED) when
  /// not. Otherwise `done` runs once the message is kept (or could not be: UNAVAILABLE).
  /// Blocks on the store: call it from a worker thread.
  void send(const std::string& room_id, const std::string& sender, std::string contents,
            send_callback done);

  /// A member's view of the room's history, ascending (SPEC section 4): the latest `limit`,
  /// the first `limit` after `since_id`, or the last `limit` before `before_id`. Throws
  /// NOT_FOUND, NOT_A_MEMBER. Blocks.
  std::vector<model::message> history(const std::string& room_id, const std::string& user_id,
                                      std::optional<std::int64_t> since_id,
                                      std::optional<std::int64_t> before_id, std::int64_t limit);

  /// The room exists and `user_id` may read it live (a member). Throws as history does.
  void check_reader(const std::string& room_id, const std::string& user_id);

  /// Validates a message's text: 1 to max_message_length characters, not only white space.
  void check_contents(std::string_view contents) const;

 private:
  store::store& store_;
  broker::broker& broker_;
  rate_limiter& limiter_;
  const std::size_t max_message_length_;
};

}  // namespace livechat::rooms
