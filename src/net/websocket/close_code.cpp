#include "net/websocket/close_code.hpp"

namespace livechat::net::websocket::close_code {

bool is_sendable(std::uint16_t code) {
  // 1012–1014 are not in RFC 6455 but registered with IANA since (service restart, try again
  // later, bad gateway); a well-behaved server may send them, so a client may too.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace livechat::net::websocket::close_code
