#include "protocol/stomp/frame.hpp"

#include <array>
#include <utility>

namespace livechat::stomp {

namespace {

constexpr std::array<std::pair<command, std::string_view>, 15> command_names{{
    {command::connect, "CONNECT"},
    {command::stomp, "STOMP"},
    {command::send, "SEND"},
    {command::subscribe, "SUBSCRIBE"},
    {command::unsubscribe, "UNSUBSCRIBE"},
    {command::ack, "ACK"},
    {command::nack, "NACK"},
    {command::begin, "BEGIN"},
    {command::commit, "COMMIT"},
    {command::abort, "ABORT"},
    {command::disconnect, "DISCONNECT"},
    {command::connected, "CONNECTED"},
    {command::message, "MESSAGE"},
    {command::receipt, "RECEIPT"},
    {command::error, "ERROR"},
}};

}  // namespace

std::string_view to_string(command verb) {
  for (const auto& [candidate, name] : command_names) {
    if (candidate == verb) return name;
  }
  return "UNKNOWN";
}

std::optional<command> parse_command(std::string_view name) {
  for (const auto& [candidate, candidate_name] : command_names) {
    if (candidate_name == name) return candidate;
  }
  return std::nullopt;
}

bool is_client_command(command verb) {
  switch (verb) {
    case command::connected:
    case command::message:
    case command::receipt:
    case command::error:
      return false;
    default:
      return true;
  }
}

std::optional<std::string_view> frame::header(std::string_view name) const {
  for (const auto& entry : headers) {
    if (entry.name == name) return std::string_view(entry.value);
  }
  return std::nullopt;
}

}  // namespace livechat::stomp
