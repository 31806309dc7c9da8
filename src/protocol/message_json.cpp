#include "protocol/message_json.hpp"

namespace livechat::protocol {

boost::json::object message_to_json(const model::message& message) {
  boost::json::object json{
      {"type", "message"},
      {"id", message.id},
      {"roomId", message.room_id},
      {"sender", message.sender},
      {"contents", message.contents},
      {"messageTimestamp", model::format_rfc3339(message.sent_at)},
  };
  if (message.is_raw()) json.erase("id");
  // Only what the tenant supplied: clients tell "not given" from "empty" by absence.
  if (!message.nickname.empty()) json["nickname"] = message.nickname;
  if (!message.profile_img_url.empty()) json["profileImgUrl"] = message.profile_img_url;
  return json;
}

}  // namespace livechat::protocol
