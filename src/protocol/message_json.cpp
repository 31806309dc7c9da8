#include "protocol/message_json.hpp"

namespace livechat::protocol {

boost::json::object message_to_json(const model::message& message) {
  boost::json::object json;
  json.reserve(8);
  json.emplace("type", "message");
  if (!message.is_raw()) json.emplace("id", message.id);  // a raw message has none
  json.emplace("roomId", message.room_id);
  json.emplace("sender", message.sender);
  json.emplace("contents", message.contents);
  json.emplace("messageTimestamp", model::format_rfc3339(message.sent_at));
  // Only what the tenant supplied: clients tell "not given" from "empty" by absence.
  if (!message.nickname.empty()) json["nickname"] = message.nickname;
  if (!message.profile_img_url.empty()) json["profileImgUrl"] = message.profile_img_url;
  return json;
}

}  // namespace livechat::protocol
