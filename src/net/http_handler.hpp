#pragma once
// What an HTTP connection hands its requests to. The connection owns the socket, the limits
// and the timeouts; the handler decides what each request means.

#include <boost/asio/ip/address.hpp>

#include "net/http_message.hpp"

namespace livechat::net {

class http_handler {
 public:
  virtual ~http_handler() = default;

  /// Answers one request from `remote` (the client's address) by calling `respond` exactly
  /// once, on any thread, possibly later.
  virtual void handle(http_request&& request, const boost::asio::ip::address& remote,
                      responder respond) = 0;

  /// Adds what every response carries (CORS headers, say) to a response that the connection
  /// made itself, such as a 413 for a body over the limit. `request` may hold only a header.
  virtual void decorate(const http_request& request, http_response& response) const = 0;
};

}  // namespace livechat::net
