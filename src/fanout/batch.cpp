#include "fanout/batch.hpp"

#include <boost/json/serialize.hpp>

#include "protocol/message_json.hpp"
#include "sse/sse_encoder.hpp"

namespace livechat::fanout {

std::shared_ptr<const batch> make_batch(std::string room_id, std::vector<model::message> messages,
                                        bool closes_room) {
  auto made = std::make_shared<batch>();
  made->room_id = std::move(room_id);
  made->messages = std::move(messages);
  made->closes_room = closes_room;
  made->message_json.reserve(made->messages.size());
  for (const auto& message : made->messages) {
    made->message_json.push_back(boost::json::serialize(protocol::message_to_json(message)));
  }
  if (!made->messages.empty()) {
    made->sse_events = sse::encode_messages_event(made->last_id(), made->message_json);
  }
  if (closes_room) made->sse_events += sse::encode_closed_event(made->room_id);
  return made;
}

}  // namespace livechat::fanout
