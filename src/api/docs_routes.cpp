#include <string>

#include "api/routes.hpp"
#include "model/client_error.hpp"
#include "web/embedded_files.hpp"

namespace livechat::api {

namespace http = net::http;

namespace {

// The pages may run only their own scripts and styles, and talk only to this server: REST
// and SSE ('self') and the STOMP WebSocket (ws:/wss: of the same host, which older browsers
// do not count as 'self'). Images: Swagger UI draws its icons from data: URIs.
constexpr std::string_view page_policy_prefix =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "connect-src 'self'";

// A Host header fit to be written into the policy: letters, digits, '.', '-', ':' and the
// brackets of an IPv6 literal. Anything else leaves the policy at 'self'.
bool is_plain_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (const char c : host) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!plain) return false;
  }
  return true;
}

std::string page_policy(const net::http_request& request) {
  std::string policy(page_policy_prefix);
  const std::string_view host = request[http::field::host];
  if (is_plain_host(host)) {
    policy.append(" ws://").append(host).append(" wss://").append(host);
  }
  return policy;
}

// The embedded file `name`, or 404. Validated by a strong ETag (the file's SHA-256), so a
// browser asks again each time but downloads only what changed with a new binary.
net::http_response embedded(const request_context& context, const std::string& name) {
  const web::embedded_file* file = web::find_embedded_file(name);
  if (file == nullptr) throw model::client_error(model::client_errc::not_found, "no such file");
  const std::string etag = "\"" + std::string(file->sha256) + "\"";
  const bool unchanged = context.request[http::field::if_none_match] == etag;
  net::http_response response{unchanged ? http::status::not_modified : http::status::ok, 11};
  response.set(http::field::etag, etag);
  response.set(http::field::cache_control, "no-cache");
  response.set(http::field::content_type, file->content_type);
  if (file->content_type.starts_with("text/html")) {
    response.set("Content-Security-Policy", page_policy(context.request));
  }
  if (!unchanged) response.body().assign(file->body);
  response.prepare_payload();
  return response;
}

route_handler serve(std::string name) {
  return [name = std::move(name)](const request_context& context) { return embedded(context, name); };
}

route_handler serve_under(std::string directory) {
  return [directory = std::move(directory)](const request_context& context) {
    return embedded(context, directory + "/" + context.path_parameters.at(0));
  };
}

}  // namespace

void add_docs_routes(router& routes) {
  routes.add(http::verb::get, "/", execution::io_thread, serve("index.html"));
  routes.add(http::verb::get, "/assets/{file}", execution::io_thread, serve_under("assets"));
  routes.add(http::verb::get, "/v3/api-docs", execution::io_thread, serve("v3/api-docs"));
  routes.add(http::verb::get, "/asyncapi.yaml", execution::io_thread, serve("asyncapi.yaml"));
  routes.add(http::verb::get, "/swagger-ui/{file}", execution::io_thread,
             serve_under("swagger-ui"));
  // "/swagger-ui" and "/swagger-ui/" alike (the dispatcher drops empty segments).
  routes.add(http::verb::get, "/swagger-ui", execution::io_thread, [](const request_context&) {
    net::http_response response{http::status::found, 11};
    response.set(http::field::location, "/swagger-ui/index.html");
    response.prepare_payload();
    return response;
  });
}

}  // namespace livechat::api
