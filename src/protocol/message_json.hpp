#pragma once
// The one Message shape that REST, STOMP, SSE and history all use (SPEC.md section 5):
// {"type":"message","id","roomId","sender","contents","messageTimestamp","nickname"?,"profileImgUrl"?}
// A raw Chat Sync message (model::message::is_raw) has no "id".

#include <boost/json/object.hpp>

#include "model/records.hpp"

namespace livechat::protocol {

boost::json::object message_to_json(const model::message& message);

}  // namespace livechat::protocol
