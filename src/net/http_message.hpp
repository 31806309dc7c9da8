#pragma once
// The HTTP message types every layer above the socket uses, and the JSON responses the API
// answers with.

#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <string_view>

#include "model/client_error.hpp"

namespace livechat::net {

namespace http = boost::beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

/// Hands a finished response back to the connection; callable once, from any thread.
using responder = std::function<void(http_response&&)>;

/// A response with `body` serialized as JSON, `Content-Type: application/json`.
http_response make_json_response(http::status status, const boost::json::value& body,
                                 unsigned version = 11);

/// The contract's error shape `{"code","message"}` with the status that stands for `errc`.
http_response make_error_response(model::client_errc errc, std::string_view message,
                                  unsigned version = 11);

}  // namespace livechat::net
