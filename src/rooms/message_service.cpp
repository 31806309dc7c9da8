#include "rooms/message_service.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/validation.hpp"

namespace livechat::rooms {

using model::client_errc;
using model::client_error;

message_service::message_service(store::store& store, broker::broker& broker,
                                 rate_limiter& limiter, std::size_t max_message_length)
    : store_(store), broker_(broker), limiter_(limiter), max_message_length_(max_message_length) {}

void message_service::check_contents(std::string_view contents) const {
  const std::size_t length = model::utf8_length(contents);
  if (length == 0 || length > max_message_length_ || !model::has_visible_text(contents)) {
    throw client_error(client_errc::validation_error,
                       fmt::format("contents must be 1 to {} characters", max_message_length_));
  }
  if (!model::has_no_nul(contents)) {
    throw client_error(client_errc::validation_error, "contents must not contain U+0000");
  }
}

void message_service::check_reader(const std::string& room_id, const std::string& user_id) {
  if (!store_.find_room(room_id)) throw client_error(client_errc::not_found, "no such chat room");
  if (!store_.is_member(room_id, user_id)) {
    throw client_error(client_errc::not_a_member, "not a member of this chat room");
  }
}

void message_service::send(const std::string& room_id, const std::string& sender,
                           std::string contents, send_callback done) {
  const auto room = store_.find_room(room_id);
  if (!room) throw client_error(client_errc::not_found, "no such chat room");
  if (!store_.is_member(room_id, sender)) {
    throw client_error(client_errc::not_a_member, "not a member of this chat room");
  }
  if (room->closed) throw client_error(client_errc::room_closed, "the chat room is closed");
  check_contents(contents);
  if (!limiter_.try_acquire(sender, room_id)) {
    throw client_error(client_errc::rate_limited, "too many messages; slow down");
  }

  model::message message;
  message.room_id = room_id;
  message.sender = sender;
  message.contents = std::move(contents);
  message.sent_at = model::now();
  std::vector<model::message> batch;
  batch.push_back(std::move(message));
  broker_.publish(std::move(batch), [done = std::move(done)](broker::publish_status status,
                                                             std::span<const model::message> kept) {
    // A refusal here lost a race with a close or an exit that the checks above did not see
    // yet (another node's, in cluster mode).
    send_outcome outcome;
    switch (status) {
      case broker::publish_status::kept:
        outcome.kept = kept.front();
        break;
      case broker::publish_status::closed:
        outcome.error = client_errc::room_closed;
        outcome.error_message = "the chat room is closed";
        break;
      case broker::publish_status::sender_left:
        outcome.error = client_errc::not_a_member;
        outcome.error_message = "not a member of this chat room";
        break;
      case broker::publish_status::unavailable:
        outcome.error = client_errc::unavailable;
        outcome.error_message = "the message could not be kept; try again";
        break;
    }
    done(std::move(outcome));
  });
}

std::vector<model::message> message_service::history(const std::string& room_id,
                                                      const std::string& user_id,
                                                      std::optional<std::int64_t> since_id,
                                                      std::optional<std::int64_t> before_id,
                                                      std::int64_t limit) {
  check_reader(room_id, user_id);
  if (since_id && before_id) {
    throw client_error(client_errc::bad_request, "give sinceId or beforeId, not both");
  }
  if (since_id) return broker_.history_after(room_id, *since_id, limit);
  return broker_.history_before(room_id, before_id.value_or(std::numeric_limits<std::int64_t>::max()),
                                limit);
}

}  // namespace livechat::rooms
