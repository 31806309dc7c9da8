#pragma once
// Heart-beat negotiation (STOMP 1.2, "Heart-beating"). Each side's `heart-beat: x,y` header
// says: "I can send a heart-beat every x ms" and "I want one from you every y ms"; 0 means
// cannot, or does not want. Any frame or EOL counts as a sign of life.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace livechat::stomp {

/// One side's heart-beat header.
struct heart_beat_offer {
  std::chrono::milliseconds can_send{0};          // x: the smallest interval it can send at
  std::chrono::milliseconds wants_to_receive{0};  // y: the interval it wants to receive at

  friend bool operator==(const heart_beat_offer&, const heart_beat_offer&) = default;
};

/// The intervals a connection runs with; 0 means none.
struct heart_beat_intervals {
  std::chrono::milliseconds server_sends_every{0};  // send an EOL after this long without output
  std::chrono::milliseconds client_sends_every{0};  // the client's promise; silence is measured by it

  friend bool operator==(const heart_beat_intervals&, const heart_beat_intervals&) = default;
};

/// The offer in a `heart-beat` header value: two decimal numbers of milliseconds joined by a
/// comma, no blanks, each at most 4294967295 (so doubling it can never overflow). nullopt when
/// malformed; the server then answers ERROR. An absent header means {0, 0}.
std::optional<heart_beat_offer> parse_heart_beat(std::string_view value);

/// The header value for `offer`, e.g. "10000,10000" (what CONNECTED carries for the server).
std::string to_header_value(const heart_beat_offer& offer);

/// The intervals agreed by a client and a server from their offers: the server sends every
/// max(server.can_send, client.wants_to_receive) and expects the client every
/// max(client.can_send, server.wants_to_receive); each is 0 when either of its two numbers is.
heart_beat_intervals negotiate_heart_beat(const heart_beat_offer& client,
                                          const heart_beat_offer& server);

}  // namespace livechat::stomp
