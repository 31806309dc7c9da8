#include "broker/chat_sync_payload.hpp"

#include <boost/json/parse.hpp>

#include "model/validation.hpp"
#include "net/websocket/utf8.hpp"

namespace livechat::broker {

namespace json = boost::json;

namespace {

const json::string* string_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? &value->get_string() : nullptr;
}

// createdAt as Chat Sync's publishers write it: an RFC 3339 string or epoch milliseconds.
std::optional<model::timestamp> created_at(const json::value& value) {
  if (value.is_string()) return model::parse_rfc3339(value.get_string());
  // Epoch milliseconds outside the years 1970 to 9999 have no RFC 3339 form (a four-digit
  // year, and the stores keep milliseconds since the epoch): the time received instead.
  constexpr std::int64_t end_of_9999_ms = 253'402'300'799'999;
  if (value.is_int64() && value.get_int64() >= 0 && value.get_int64() <= end_of_9999_ms) {
    return model::from_epoch_ms(value.get_int64());
  }
  return std::nullopt;
}

// Fills `message` from Chat Sync's object, when `payload` is one: the four keys, `message` and
// `nickname` strings, `profileImgUrl` a string or null, `createdAt` present.
bool read_chat_sync_object(std::string_view payload, model::message& message) {
  boost::system::error_code error;
  const json::value value = json::parse(payload, error);
  if (error || !value.is_object()) return false;
  const json::object& object = value.get_object();
  const auto* contents = string_at(object, "message");
  const auto* nickname = string_at(object, "nickname");
  const auto* image = object.if_contains("profileImgUrl");
  const auto* created = object.if_contains("createdAt");
  if (contents == nullptr || nickname == nullptr || image == nullptr || created == nullptr ||
      !(image->is_string() || image->is_null())) {
    return false;
  }
  message.contents = std::string(*contents);
  message.nickname = std::string(*nickname);
  message.sender = nickname->empty() ? std::string(raw_system_sender) : message.nickname;
  if (image->is_string()) message.profile_img_url = std::string(image->get_string());
  if (const auto time = created_at(*created)) message.sent_at = *time;
  return true;
}

}  // namespace

std::optional<model::message> map_raw_payload(std::string_view session_id,
                                              std::string_view payload, std::size_t max_length,
                                              model::timestamp received_at, std::string& why) {
  if (payload.size() > max_raw_payload_bytes) {
    why = "over " + std::to_string(max_raw_payload_bytes) + " bytes";
    return std::nullopt;
  }
  if (!net::websocket::is_valid_utf8(payload)) {
    why = "not UTF-8";
    return std::nullopt;
  }
  model::message message;
  message.room_id = std::string(session_id);
  message.sent_at = received_at;
  message.received_at = received_at;
  if (!read_chat_sync_object(payload, message)) {
    message.sender = std::string(raw_system_sender);
    message.contents = std::string(payload);
  }
  if (model::utf8_length(message.contents) > max_length) {
    why = "contents over " + std::to_string(max_length) + " characters";
    return std::nullopt;
  }
  return message;
}

}  // namespace livechat::broker
