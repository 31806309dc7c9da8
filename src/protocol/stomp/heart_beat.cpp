#include "protocol/stomp/heart_beat.hpp"

#include <algorithm>
#include <cstdint>

namespace livechat::stomp {

namespace {

std::optional<std::chrono::milliseconds> parse_interval(std::string_view digits) {
  if (digits.empty() || digits.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > UINT32_MAX) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(value));
}

std::chrono::milliseconds agreed(std::chrono::milliseconds sender_can,
                                 std::chrono::milliseconds receiver_wants) {
  if (sender_can.count() == 0 || receiver_wants.count() == 0) return std::chrono::milliseconds(0);
  return std::max(sender_can, receiver_wants);
}

}  // namespace

std::optional<heart_beat_offer> parse_heart_beat(std::string_view value) {
  const auto comma = value.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const auto can_send = parse_interval(value.substr(0, comma));
  const auto wants_to_receive = parse_interval(value.substr(comma + 1));
  if (!can_send || !wants_to_receive) return std::nullopt;
  return heart_beat_offer{*can_send, *wants_to_receive};
}

std::string to_header_value(const heart_beat_offer& offer) {
  return std::to_string(offer.can_send.count()) + "," + std::to_string(offer.wants_to_receive.count());
}

heart_beat_intervals negotiate_heart_beat(const heart_beat_offer& client,
                                          const heart_beat_offer& server) {
  return heart_beat_intervals{agreed(server.can_send, client.wants_to_receive),
                              agreed(client.can_send, server.wants_to_receive)};
}

}  // namespace livechat::stomp
