#include <boost/beast/core/flat_buffer.hpp>

#include <limits>
#include <memory>
#include <sstream>

#include "api/routes.hpp"
#include "net/io_context_pool.hpp"
#include "net/websocket/handshake.hpp"
#include "sse/sse_session.hpp"
#include "stomp/stomp_session.hpp"

namespace livechat::api {

namespace http = net::http;

namespace {

// Where to resume: the Last-Event-ID header (EventSource reconnecting), else ?sinceId=.
std::optional<std::int64_t> resume_after(const request_context& context) {
  constexpr std::int64_t max_id = std::numeric_limits<std::int64_t>::max();
  const std::string_view last_event_id = context.request["Last-Event-ID"];
  if (!last_event_id.empty()) return parse_integer(last_event_id, "Last-Event-ID", 0, max_id);
  if (!context.query_value("sinceId") || context.query_value("sinceId")->empty()) return std::nullopt;
  return context.query_integer("sinceId", 0, 0, max_id);
}

net::connection_takeover open_sse_stream(fanout::delivery_services& services,
                                         sse::stream_options options) {
  return [&services, options = std::move(options)](boost::beast::tcp_stream&& stream,
                                                   boost::beast::flat_buffer&&) {
    auto session = std::make_shared<sse::sse_session>(std::move(stream), services, options);
    session->start(net::io_context_pool::current_thread_index());
  };
}

constexpr std::string_view stomp_subprotocols[] = {"v12.stomp", "v11.stomp", "v10.stomp"};

std::string to_text(const net::http_response& response) {
  std::ostringstream text;
  text << response;
  return text.str();
}

}  // namespace

void add_websocket_route(router& routes, stomp::stomp_services& services) {
  routes.add(http::verb::get, "/ws", execution::io_thread,
             [&services](const request_context& context) -> route_result {
               if (!net::websocket::is_upgrade_request(context.request)) {
                 throw model::client_error(model::client_errc::bad_request,
                                           "this is a WebSocket endpoint: send an upgrade request");
               }
               auto handshake = net::websocket::accept_handshake(context.request, stomp_subprotocols);
               if (!handshake.accepted) return std::move(handshake.response);
               return [&services, answer = to_text(handshake.response)](
                          boost::beast::tcp_stream&& stream, boost::beast::flat_buffer&& already_read) {
                 const std::size_t thread_index = net::io_context_pool::current_thread_index();
                 auto session = std::make_shared<stomp::stomp_session>(stream.release_socket(),
                                                                       services, thread_index);
                 session->start(answer, std::move(already_read));
               };
             });
}

void add_stream_routes(router& routes, rooms::message_service& messages,
                       const auth::user_service& users, const cors_policy& cors,
                       fanout::delivery_services& services) {
  routes.add(http::verb::get, "/chatrooms/{id}/events", execution::worker,
             [&messages, &users, &cors, &services](const request_context& context) -> route_result {
               // EventSource cannot send headers: the token may come in the query.
               std::string_view token = context.bearer_token();
               if (token.empty()) token = context.query_value("access_token").value_or("");
               const std::string user_id = users.authenticate(token);
               const std::string room_id = context.path_uuid(0);
               messages.check_reader(room_id, user_id);
               sse::stream_options options;
               options.room_id = room_id;
               options.after_id = resume_after(context);
               options.allow_origin = cors.allowed_origin(context.request);
               return open_sse_stream(services, std::move(options));
             });
}

}  // namespace livechat::api
