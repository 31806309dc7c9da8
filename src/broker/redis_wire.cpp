#include "broker/redis_wire.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>

#include "protocol/message_json.hpp"

namespace livechat::broker {

namespace json = boost::json;

namespace {

constexpr std::string_view channel_infix = "}:room:";

// The inverse of model::format_rfc3339 (`2026-05-10T23:11:00.123Z`); epoch 0 when malformed.
model::timestamp parse_timestamp(std::string_view text) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%d-%u-%uT%u:%u:%u.%uZ", &year, &month, &day, &hour, &minute,
                  &second, &millisecond) != 7) {
    return model::timestamp{};
  }
  const std::chrono::sys_days date{std::chrono::year{year} / std::chrono::month{month} /
                                   std::chrono::day{day}};
  return model::timestamp{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second} + std::chrono::milliseconds{millisecond};
}

std::string text_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

std::optional<room_entry> entry_of(const json::value& value) {
  if (!value.is_object()) return std::nullopt;
  const json::object& object = value.get_object();
  const std::string type = text_of(object, "type");
  room_entry entry;
  if (type == "message") {
    const auto* id = object.if_contains("id");
    if (id == nullptr || !id->is_int64()) return std::nullopt;
    entry.message.id = id->get_int64();
    entry.message.room_id = text_of(object, "roomId");
    entry.message.sender = text_of(object, "sender");
    entry.message.contents = text_of(object, "contents");
    entry.message.sent_at = parse_timestamp(text_of(object, "messageTimestamp"));
    entry.message.nickname = text_of(object, "nickname");
    entry.message.profile_img_url = text_of(object, "profileImgUrl");
    return entry;
  }
  if (type != "closed" && type != "ended" && type != "left") return std::nullopt;
  entry.type = type == "left" ? room_entry::kind::left : room_entry::kind::closed;
  entry.user_id = text_of(object, "userId");
  if (const auto* last = object.if_contains("lastId"); last != nullptr && last->is_int64()) {
    entry.after_id = last->get_int64();
  }
  return entry;
}

std::optional<json::value> parse(std::string_view text) {
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  if (error) return std::nullopt;
  return value;
}

}  // namespace

std::string encode_payload(const model::message& message) {
  json::object object = protocol::message_to_json(message);
  object.erase("id");
  return json::serialize(object);
}

std::optional<std::vector<room_entry>> decode_channel_payload(std::string_view payload) {
  const auto value = parse(payload);
  if (!value || !value->is_array()) return std::nullopt;
  std::vector<room_entry> entries;
  entries.reserve(value->get_array().size());
  for (const json::value& element : value->get_array()) {
    auto entry = entry_of(element);
    if (!entry) return std::nullopt;
    entries.push_back(std::move(*entry));
  }
  return entries;
}

std::vector<room_entry> decode_stream_entries(const redis::reply& entries) {
  // [[entry id, [field, value, …]], …]: field `m` a message, `c` a control event.
  std::vector<room_entry> decoded;
  decoded.reserve(entries.elements.size());
  for (const redis::reply& entry : entries.elements) {
    if (entry.elements.size() != 2 || entry.elements[1].elements.size() < 2) continue;
    const auto value = parse(entry.elements[1].elements[1].text);
    if (!value) continue;
    if (auto read = entry_of(*value)) decoded.push_back(std::move(*read));
  }
  return decoded;
}

std::string_view room_of_channel(std::string_view channel) {
  if (!channel.starts_with("{lc:")) return {};
  const auto at = channel.find(channel_infix);
  if (at == std::string_view::npos) return {};
  return channel.substr(at + channel_infix.size());
}

}  // namespace livechat::broker
