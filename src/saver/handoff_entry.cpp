#include "saver/handoff_entry.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>

#include "model/time.hpp"
#include "redis/key_layout.hpp"

namespace livechat::saver {

namespace {

bool is_array(const redis::reply& value) { return value.type == redis::reply::kind::array; }

std::int64_t parse_id(std::string_view text) {
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  return error == std::errc() && end == text.data() + text.size() && id > 0 ? id : 0;
}

/// The string member `name` of `object`; `missing` when absent, nullopt when not a string.
std::optional<std::string> string_member(const boost::json::object& object, std::string_view name,
                                         std::optional<std::string> missing = std::nullopt) {
  const auto* value = object.if_contains(name);
  if (value == nullptr) return missing;
  if (!value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

int shard_of_handoff_key(std::string_view key) {
  for (int shard = 0; shard < redis::shard_count; ++shard) {
    if (redis::handoff_key(shard) == key) return shard;
  }
  return -1;
}

}  // namespace

std::optional<model::message> parse_message(std::string_view json, std::string_view room_id,
                                            std::int64_t id) {
  boost::system::error_code error;
  const boost::json::value value = boost::json::parse(json, error);
  if (error || !value.is_object() || room_id.empty() || id <= 0) return std::nullopt;
  const auto& object = value.get_object();
  auto sender = string_member(object, "sender");
  auto contents = string_member(object, "contents");
  auto sent_at = string_member(object, "messageTimestamp");
  auto nickname = string_member(object, "nickname", "");
  auto image = string_member(object, "profileImgUrl", "");
  if (!sender || !contents || !sent_at || !nickname || !image) return std::nullopt;
  const auto time = model::parse_rfc3339(*sent_at);
  if (!time) return std::nullopt;
  return model::message{std::string(room_id), id,          std::move(*sender), std::move(*contents),
                        *time,                 std::move(*nickname),           std::move(*image),
                        {}};
}

void append_entries(const redis::reply& entries, int shard, std::vector<handoff_entry>& out) {
  if (!is_array(entries)) return;
  for (const redis::reply& entry : entries.elements) {
    if (!is_array(entry) || entry.elements.empty()) continue;
    handoff_entry read;
    read.shard = shard;
    read.entry_id = entry.elements[0].text;
    if (entry.elements.size() == 2 && is_array(entry.elements[1])) {
      const auto& fields = entry.elements[1].elements;
      std::string_view json;
      for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        const std::string_view name = fields[i].text, value = fields[i + 1].text;
        if (name == "room") read.room_id = value;
        if (name == "id") read.id = parse_id(value);
        if (name == "m") json = value;
      }
      read.message = parse_message(json, read.room_id, read.id);
    }
    out.push_back(std::move(read));
  }
}

void append_read_reply(const redis::reply& answer, std::vector<handoff_entry>& out) {
  if (!is_array(answer)) return;  // nil: the BLOCK timed out with nothing new
  for (const redis::reply& stream : answer.elements) {
    if (!is_array(stream) || stream.elements.size() != 2) continue;
    const int shard = shard_of_handoff_key(stream.elements[0].text);
    if (shard >= 0) append_entries(stream.elements[1], shard, out);
  }
}

}  // namespace livechat::saver
