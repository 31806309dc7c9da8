// libFuzzer target: arbitrary bytes as an HTTP request, through everything that reads
// untrusted input before a service runs — Beast's parser with our limits, the target and query
// decoding, routing, the JSON body helpers, path ids and bearer tokens. It must never crash,
// hang or trip a sanitizer; rejections are the expected outcome for most inputs.

#include <boost/beast/http/parser.hpp>
#include <boost/url/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/request_context.hpp"
#include "api/router.hpp"
#include "auth/token_service.hpp"
#include "model/client_error.hpp"

namespace {

using namespace livechat;
namespace http = net::http;

const api::router& routes() {
  static const api::router table = [] {
    api::router built;
    const auto nothing = [](const api::request_context&) { return net::http_response{}; };
    for (const char* pattern : {"/users/signup", "/chatrooms", "/chatrooms/connected",
                                "/chatrooms/{id}", "/chatrooms/{id}/messages",
                                "/api/v1/sessions/{id}/messages"}) {
      built.add(http::verb::get, pattern, api::execution::worker, nothing);
      built.add(http::verb::post, pattern, api::execution::worker, nothing);
    }
    return built;
  }();
  return table;
}

const auth::token_service& tokens() {
  static const auth::token_service service("fuzzing key", std::chrono::seconds(60),
                                           std::chrono::seconds(600));
  return service;
}

void exercise(const api::request_context& context) {
  try {
    (void)context.json_object();
  } catch (const model::client_error&) {
  }
  try {
    (void)context.query_integer("limit", 20, 1, 100);
    (void)context.query_integer("offset", 0, 0, 1 << 30);
  } catch (const model::client_error&) {
  }
  if (!context.path_parameters.empty()) {
    try {
      (void)context.path_uuid(0);
    } catch (const model::client_error&) {
    }
  }
  (void)tokens().verify(context.bearer_token(), auth::token_type::access, model::now());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code error;
  parser.put(boost::asio::buffer(data, size), error);
  if (error || !parser.is_done()) return 0;

  api::request_context context;
  context.request = parser.release();
  const auto target = boost::urls::parse_origin_form(context.request.target());
  if (!target) return 0;
  std::vector<std::string> segments;
  for (auto segment : target->segments()) {
    if (!segment.empty()) segments.push_back(segment);
  }
  for (auto param : target->params()) context.query.emplace_back(param.key, param.value);
  const auto match = routes().find(context.request.method(), segments);
  context.path_parameters = match.parameters;
  exercise(context);
  return 0;
}
