#pragma once
// Where a Redis server is and how to talk to it: address, credentials, database, and the
// client's timing (connect deadline, reconnect backoff, health PING).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace livechat::redis {

struct redis_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  /// Empty: AUTH with the password alone (the `default` user). Set: `AUTH user password` (ACL).
  std::string username;
  /// Empty: no AUTH.
  std::string password;
  /// SELECTed after AUTH when not 0.
  int database = 0;
  /// Sent as `CLIENT SETNAME` so that `CLIENT LIST` tells the connections apart; empty: none.
  std::string client_name;

  /// Resolve, connect and handshake (AUTH, SELECT) must finish within this.
  std::chrono::milliseconds connect_timeout{2000};
  /// The first retry after a failure waits this long; each further one twice as long…
  std::chrono::milliseconds reconnect_initial_delay{50};
  /// …up to this.
  std::chrono::milliseconds reconnect_max_delay{2000};
  /// A PING goes out this often on an idle or busy connection alike (health and latency)…
  std::chrono::milliseconds ping_interval{1000};
  /// …and a PING unanswered for this long drops the connection (a half-open socket).
  std::chrono::milliseconds ping_timeout{5000};
};

/// Reads `redis://[[user]:password@]host[:port][/db]`; nullopt and `error` set when malformed.
std::optional<redis_config> parse_redis_url(std::string_view url, std::string& error);

}  // namespace livechat::redis
