#pragma once
// A STOMP frame as the codec sees it: a command, headers in wire order (repeats kept), and a
// body of arbitrary bytes. Header names and values are held unescaped; escaping belongs to the
// wire (see header_escaping.hpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace livechat::stomp {

enum class command {
  // Sent by clients.
  connect,
  stomp,
  send,
  subscribe,
  unsubscribe,
  ack,
  nack,
  begin,
  commit,
  abort,
  disconnect,
  // Sent by servers.
  connected,
  message,
  receipt,
  error,
};

/// The command's name on the wire, e.g. "SEND".
std::string_view to_string(command verb);

/// The command named exactly `name` (case-sensitive, no surrounding whitespace), if any.
std::optional<command> parse_command(std::string_view name);

/// True for the commands a client may send; false for CONNECTED, MESSAGE, RECEIPT and ERROR.
bool is_client_command(command verb);

struct header {
  std::string name;
  std::string value;

  friend bool operator==(const header&, const header&) = default;
};

using header_list = std::vector<header>;

struct frame {
  command verb = command::send;
  header_list headers;
  std::string body;

  /// The value of the first header called `name` (exact, case-sensitive); STOMP says the first
  /// of repeated headers wins. The view lives as long as the frame's headers are unchanged.
  std::optional<std::string_view> header(std::string_view name) const;

  friend bool operator==(const frame&, const frame&) = default;
};

}  // namespace livechat::stomp
