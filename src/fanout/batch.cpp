#include "fanout/batch.hpp"

#include <boost/json/serialize.hpp>

#include "protocol/message_json.hpp"
#include "protocol/sse_encoder.hpp"
#include "protocol/stomp_destinations.hpp"

namespace livechat::fanout {

std::shared_ptr<const batch> make_batch(std::string room_id, std::vector<model::message> messages,
                                        bool closes_room, std::vector<member_exit> exits) {
  auto made = std::make_shared<batch>();
  made->room_id = std::move(room_id);
  made->messages = std::move(messages);
  made->closes_room = closes_room;
  made->exits = std::move(exits);
  made->message_json.reserve(made->messages.size());
  for (const auto& message : made->messages) {
    made->message_json.push_back(boost::json::serialize(protocol::message_to_json(message)));
    if (message.is_raw()) continue;
    if (made->first_id_seen == 0) made->first_id_seen = message.id;
    made->last_id_seen = message.id;
  }
  if (!made->messages.empty()) {
    made->sse_events = sse::encode_messages_event(made->last_id(), made->message_json);
  }
  const std::string destination = protocol::subscribe_destination(made->room_id);
  made->stomp_frames.reserve(made->messages.size() + (closes_room ? 1 : 0));
  for (std::size_t i = 0; i < made->messages.size(); ++i) {
    made->stomp_frames.push_back(stomp::encode_message_parts(
        destination, protocol::message_id(made->room_id, made->messages[i].id),
        made->message_json[i]));
  }
  if (closes_room) {
    made->sse_events += sse::encode_closed_event(made->room_id);
    made->stomp_frames.push_back(protocol::closed_message_parts(made->room_id));
  }
  return made;
}

}  // namespace livechat::fanout
