#pragma once
// The server side of the WebSocket opening handshake (RFC 6455 section 4.2): recognizing an
// upgrade request and answering it with 101, or with the error the RFC asks for. No extensions
// are negotiated (a permessage-deflate offer is ignored).

#include <span>
#include <string>
#include <string_view>

#include "net/http_message.hpp"

namespace livechat::net::websocket {

struct handshake_outcome {
  bool accepted = false;
  // 101 Switching Protocols when accepted; otherwise the error to send before closing.
  http_response response;
  // The subprotocol chosen, empty when none was.
  std::string subprotocol;
};

/// True for an HTTP/1.1 (or later) GET whose `Upgrade` lists `websocket` and whose `Connection`
/// lists `upgrade` (comma-separated tokens, any case, across repeated headers).
bool is_upgrade_request(const http_request& request);

/// Answers an upgrade request. Refuses with 426 and `Sec-WebSocket-Version: 13` when the client
/// does not speak version 13, with 400 (our JSON error) when the request is no upgrade or its
/// `Sec-WebSocket-Key` is not the base64 of 16 bytes. On success the response carries
/// `Sec-WebSocket-Accept` and, when one of the client's `Sec-WebSocket-Protocol` offers is in
/// `supported_subprotocols`, the first of them in the client's order; a client offering none, or
/// none we support, is still accepted, with no subprotocol.
handshake_outcome accept_handshake(const http_request& request,
                                   std::span<const std::string_view> supported_subprotocols);

/// The `Sec-WebSocket-Accept` value for a client's key: base64(SHA-1(key + RFC 6455's GUID)).
std::string make_accept_key(std::string_view client_key);

}  // namespace livechat::net::websocket
