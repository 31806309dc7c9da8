#pragma once
// The Redis client's own error codes, in a boost::system category so that they travel as the
// error_code first argument of every completion callback.

#include <boost/system/error_code.hpp>

namespace livechat::redis {

enum class errc {
  not_connected = 1,  ///< the command was not sent: the connection is not up (yet)
  connection_lost,    ///< the connection dropped before the reply came: it may or may not have run
  shutdown,           ///< the client was closed
  server_error,       ///< Redis answered with an error reply (the reply holds its text)
  protocol_error,     ///< the server sent bytes that are not RESP
  handshake_failed,   ///< AUTH or SELECT was refused
  timeout,            ///< connect, handshake or PING took too long
};

const boost::system::error_category& error_category();

inline boost::system::error_code make_error_code(errc e) {
  return {static_cast<int>(e), error_category()};
}

}  // namespace livechat::redis

template <>
struct boost::system::is_error_code_enum<livechat::redis::errc> : std::true_type {};
