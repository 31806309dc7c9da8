#pragma once
// Cross-origin access for browsers (CORS_ORIGINS): which origins may call the REST API and
// open SSE streams, and the preflight answer.

#include <string>
#include <string_view>
#include <vector>

#include "net/http_message.hpp"

namespace livechat::api {

class cors_policy {
 public:
  /// `origins` as configured; "*" among them allows every origin.
  explicit cors_policy(std::vector<std::string> origins);

  /// Adds `Access-Control-Allow-Origin` (and `Vary: Origin` when it depends on the request)
  /// to `response` when the request's origin is allowed.
  void apply(const net::http_request& request, net::http_response& response) const;

  /// The `Access-Control-Allow-Origin` value for `request`; empty when its origin is not
  /// allowed (for streams, which write their head themselves).
  std::string allowed_origin(const net::http_request& request) const;

  /// The answer to an `OPTIONS` preflight: 204 with the allowed methods and headers.
  net::http_response preflight(const net::http_request& request) const;

 private:
  bool any_origin_ = false;
  std::vector<std::string> origins_;
};

}  // namespace livechat::api
