#include "api/cors_policy.hpp"

#include <algorithm>

namespace livechat::api {

namespace http = net::http;

cors_policy::cors_policy(std::vector<std::string> origins) : origins_(std::move(origins)) {
  any_origin_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

std::string cors_policy::allowed_origin(const net::http_request& request) const {
  if (any_origin_) return "*";
  const std::string_view origin = request[http::field::origin];
  if (origin.empty() || std::find(origins_.begin(), origins_.end(), origin) == origins_.end()) {
    return {};
  }
  return std::string(origin);
}

void cors_policy::apply(const net::http_request& request, net::http_response& response) const {
  // Retry-After matters to browser clients that get a 429.
  response.set(http::field::access_control_expose_headers, "Retry-After");
  if (!any_origin_) response.set(http::field::vary, "Origin");
  const std::string origin = allowed_origin(request);
  if (!origin.empty()) response.set(http::field::access_control_allow_origin, origin);
}

net::http_response cors_policy::preflight(const net::http_request& request) const {
  net::http_response response{http::status::no_content, request.version()};
  apply(request, response);
  response.set(http::field::access_control_allow_methods, "GET, POST, PUT, DELETE, OPTIONS");
  response.set(http::field::access_control_allow_headers,
               "Authorization, Content-Type, Last-Event-ID, X-Api-Key");
  response.set(http::field::access_control_max_age, "86400");
  response.prepare_payload();
  return response;
}

}  // namespace livechat::api
