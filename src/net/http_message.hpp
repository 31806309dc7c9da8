#pragma once
// The HTTP message types every layer above the socket uses, and the JSON responses the API
// answers with.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string_view>
#include <variant>

#include "model/client_error.hpp"
#include "model/fail_count.hpp"

namespace livechat::net {

namespace http = boost::beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

/// Takes the connection over after a request, to stream on it (SSE) or speak another
/// protocol (WebSocket). Runs on the connection's I/O thread; gets the socket, the bytes
/// already read past the request, and the write failures a test armed on the connection (null
/// but in tests: streaming_connection::inject_write_failures).
using connection_takeover =
    std::function<void(boost::beast::tcp_stream&& stream, boost::beast::flat_buffer&& buffer,
                       std::shared_ptr<model::fail_count> write_failures)>;

/// What a request gets: a response, or the connection handed over.
using reply = std::variant<http_response, connection_takeover>;

/// Hands the reply back to the connection; callable once, from any thread.
using responder = std::function<void(reply&&)>;

/// A response with `body` serialized as JSON, `Content-Type: application/json`.
http_response make_json_response(http::status status, const boost::json::value& body,
                                 unsigned version = 11);

/// The contract's error shape `{"code","message"}` with the status that stands for `errc`.
http_response make_error_response(model::client_errc errc, std::string_view message,
                                  unsigned version = 11);

}  // namespace livechat::net
