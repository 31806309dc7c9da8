#include "protocol/stomp/frame_encoder.hpp"

#include <algorithm>
#include <cassert>

#include "protocol/stomp/header_escaping.hpp"

namespace livechat::stomp {

namespace {

void append_header(std::string& out, std::string_view name, std::string_view value,
                   header_escaping rules) {
  assert(!name.empty() && "a STOMP header needs a name");
  const std::size_t name_start = out.size();
  append_escaped(out, name, rules);
  // Unescaped, the first ':' ends the name; a name cannot carry one.
  if (rules == header_escaping::none) std::replace(out.begin() + name_start, out.end(), ':', ' ');
  out += ':';
  append_escaped(out, value, rules);
  out += '\n';
}

}  // namespace

std::string encode(const frame& message, protocol_version version) {
  const header_escaping rules = escaping_for(message.verb, version);
  std::string out;
  out.reserve(64 + message.body.size());
  out += to_string(message.verb);
  out += '\n';
  for (const auto& entry : message.headers) append_header(out, entry.name, entry.value, rules);
  if (!message.body.empty() && !message.header("content-length")) {
    append_header(out, "content-length", std::to_string(message.body.size()), rules);
  }
  out += '\n';
  out += message.body;
  out += '\0';
  return out;
}

std::string message_frame_parts::frame_for(std::string_view subscription_id) const {
  std::string out;
  out.reserve(prefix->size() + subscription_id.size() + suffix->size());
  out += *prefix;
  append_escaped(out, subscription_id, escaping_for(command::message, version));
  out += *suffix;
  return out;
}

message_frame_parts encode_message_parts(std::string_view destination,
                                         std::string_view message_id, std::string_view json_body,
                                         protocol_version version) {
  const header_escaping rules = escaping_for(command::message, version);

  std::string prefix = "MESSAGE\ndestination:";
  append_escaped(prefix, destination, rules);
  prefix += "\nsubscription:";

  std::string suffix = "\nmessage-id:";
  suffix.reserve(96 + message_id.size() + json_body.size());
  append_escaped(suffix, message_id, rules);
  suffix += "\ncontent-type:application/json\ncontent-length:";
  suffix += std::to_string(json_body.size());
  suffix += "\n\n";
  suffix += json_body;
  suffix += '\0';

  return message_frame_parts{std::make_shared<const std::string>(std::move(prefix)),
                             std::make_shared<const std::string>(std::move(suffix)), version};
}

std::string encode_error(std::string_view message, std::optional<std::string_view> receipt_id,
                         std::string_view body, protocol_version version) {
  frame error{command::error, {{"message", std::string(message)}}, std::string(body)};
  if (receipt_id) error.headers.push_back({"receipt-id", std::string(*receipt_id)});
  if (!body.empty()) error.headers.push_back({"content-type", "text/plain"});
  return encode(error, version);
}

std::string encode_receipt(std::string_view receipt_id, protocol_version version) {
  return encode(frame{command::receipt, {{"receipt-id", std::string(receipt_id)}}, {}}, version);
}

std::string_view heart_beat() { return "\n"; }

}  // namespace livechat::stomp
