#include "stomp/batch_frames.hpp"

#include <boost/json/serialize.hpp>

#include <utility>
#include <vector>

#include "net/websocket/frame_writer.hpp"
#include "protocol/message_json.hpp"
#include "protocol/stomp/header_escaping.hpp"
#include "protocol/stomp_destinations.hpp"

namespace livechat::stomp {

namespace {

namespace websocket = net::websocket;

void append_framed(std::string& out, const message_frame_parts& parts,
                   std::string_view escaped_subscription) {
  const std::size_t size = parts.prefix->size() + escaped_subscription.size() + parts.suffix->size();
  websocket::append_frame_header(out, websocket::opcode::text, size);
  out += *parts.prefix;
  out += escaped_subscription;
  out += *parts.suffix;
}

// The renderings of the batch this thread is delivering now. Holding the batch keeps its
// address from being reused by another while cached.
struct thread_cache {
  std::shared_ptr<const fanout::batch> batch;
  std::vector<std::pair<frame_key, std::shared_ptr<const std::string>>> renderings;
};

thread_local thread_cache cache;

std::string render(const fanout::batch& delivered, std::string_view escaped_subscription,
                   protocol_version version) {
  std::string out;
  if (version == protocol_version::v1_0) {
    // STOMP 1.0 escapes nothing: the batch's parts (1.1/1.2 escaping) do not fit.
    for (std::size_t i = 0; i < delivered.messages.size(); ++i) {
      const auto parts = encode_message_parts(
          protocol::subscribe_destination(delivered.room_id),
          protocol::message_id(delivered.room_id, delivered.messages[i].id),
          delivered.message_json[i], version);
      append_framed(out, parts, escaped_subscription);
    }
    if (delivered.closes_room) {
      append_framed(out, protocol::closed_message_parts(delivered.room_id, version),
                    escaped_subscription);
    }
    return out;
  }
  std::size_t size = 0;
  for (const auto& parts : delivered.stomp_frames) {
    size += 10 + parts.prefix->size() + escaped_subscription.size() + parts.suffix->size();
  }
  out.reserve(size);
  for (const auto& parts : delivered.stomp_frames) append_framed(out, parts, escaped_subscription);
  return out;
}

}  // namespace

frame_key make_frame_key(std::string_view subscription_id, protocol_version version) {
  return frame_key{escape(subscription_id, escaping_for(command::message, version)), version};
}

std::shared_ptr<const std::string> batch_frames_for(
    const std::shared_ptr<const fanout::batch>& delivered, const frame_key& key) {
  if (cache.batch != delivered) {
    cache.batch = delivered;
    cache.renderings.clear();
  }
  for (const auto& [cached_key, rendering] : cache.renderings) {
    if (cached_key == key) return rendering;
  }
  auto rendering = std::make_shared<const std::string>(
      render(*delivered, key.escaped_subscription_id, key.version));
  cache.renderings.emplace_back(key, rendering);
  return rendering;
}

std::string message_frame_for(const model::message& message, std::string_view subscription_id,
                              protocol_version version) {
  const auto parts = encode_message_parts(
      protocol::subscribe_destination(message.room_id),
      protocol::message_id(message.room_id, message.id),
      boost::json::serialize(protocol::message_to_json(message)), version);
  std::string out;
  append_framed(out, parts, escape(subscription_id, escaping_for(command::message, version)));
  return out;
}

namespace {

std::string notice_frame_for(const message_frame_parts& parts, std::string_view subscription_id,
                             protocol_version version) {
  std::string out;
  append_framed(out, parts, escape(subscription_id, escaping_for(command::message, version)));
  return out;
}

}  // namespace

std::string closed_frame_for(std::string_view room_id, std::string_view subscription_id,
                             protocol_version version) {
  return notice_frame_for(protocol::closed_message_parts(room_id, version), subscription_id, version);
}

std::string left_frame_for(std::string_view room_id, std::string_view subscription_id,
                           protocol_version version) {
  return notice_frame_for(protocol::left_message_parts(room_id, version), subscription_id, version);
}

}  // namespace livechat::stomp
