#include <boost/beast/core/flat_buffer.hpp>

#include <limits>
#include <memory>
#include <sstream>
#include <variant>

#include "api/routes.hpp"
#include "net/io_context_pool.hpp"
#include "net/websocket/handshake.hpp"
#include "sse/sse_session.hpp"
#include "stomp/stomp_session.hpp"

namespace livechat::api {

namespace http = net::http;
using model::client_errc;
using model::client_error;

namespace {

constexpr std::string_view stomp_subprotocols[] = {"v12.stomp", "v11.stomp", "v10.stomp"};

// Where to resume: the Last-Event-ID header (EventSource reconnecting), else ?sinceId=.
std::optional<std::int64_t> resume_after(const request_context& context) {
  const std::string_view last_event_id = context.request["Last-Event-ID"];
  if (!last_event_id.empty()) {
    return parse_integer(last_event_id, "Last-Event-ID", 0, std::numeric_limits<std::int64_t>::max());
  }
  return context.query_message_id("sinceId");
}

// Tickets live as long as the stream; std::function needs a copyable handle to them. With no
// limit set (the default) they hold nothing, and every connection is spared the allocation.
template <typename... Tickets>
std::shared_ptr<void> hold(Tickets&&... tickets) {
  if (!(tickets.held() || ...)) return nullptr;
  return std::make_shared<std::tuple<std::decay_t<Tickets>...>>(std::move(tickets)...);
}

net::connection_takeover open_sse_stream(fanout::delivery_services& services,
                                         sse::stream_options options) {
  return [&services, options = std::move(options)](
             boost::beast::tcp_stream&& stream, boost::beast::flat_buffer&&,
             std::shared_ptr<model::fail_count> write_failures) {
    auto session = std::make_shared<sse::sse_session>(std::move(stream), services, options);
    session->inject_write_failures(std::move(write_failures));
    session->start(net::io_context_pool::current_thread_index());
  };
}

// MAX_STREAMS: a place on the node, or the answer for a full node — 503 with Retry-After, and
// the connection closes, so a flood holds no descriptor past its answer and never waits.
std::variant<sessions::stream_limits::ticket, net::http_response> admit_stream(
    sessions::stream_limits& limits, const request_context& context) {
  try {
    return limits.admit_stream();
  } catch (const client_error& full) {
    auto response = net::make_error_response(full.errc(), full.what(), context.request.version());
    response.set(http::field::retry_after, "1");
    response.keep_alive(false);
    return response;
  }
}

std::string to_text(const net::http_response& response) {
  std::ostringstream text;
  text << response;
  return text.str();
}

}  // namespace

void add_stream_routes(router& routes, const stream_dependencies& with) {
  routes.add(http::verb::get, "/chatrooms/{id}/events", execution::worker,
             [with](const request_context& context) -> route_result {
               auto node_place = admit_stream(with.limits, context);
               if (auto* full = std::get_if<net::http_response>(&node_place)) return std::move(*full);
               // EventSource cannot send headers: the token may come in the query.
               std::string_view token = context.bearer_token();
               if (token.empty()) token = context.query_value("access_token").value_or("");
               const std::string user_id = with.users.authenticate(token);
               const std::string room_id = context.path_uuid(0);
               with.messages.check_reader(room_id, user_id);
               sse::stream_options options;
               options.room_id = room_id;
               options.member = user_id;
               options.after_id = resume_after(context);
               options.allow_origin = with.cors.allowed_origin(context.request);
               options.held_places =
                   hold(std::get<0>(std::move(node_place)),
                        with.limits.admit_address(context.remote_address));
               return open_sse_stream(with.delivery, std::move(options));
             });

  // The original Chat Sync path: a live-stream session's public stream, no token.
  routes.add(http::verb::get, "/api/v1/chats/sse-connect/{id}", execution::worker,
             [with](const request_context& context) -> route_result {
               auto node_place = admit_stream(with.limits, context);
               if (auto* full = std::get_if<net::http_response>(&node_place)) return std::move(*full);
               const std::string session_id = context.path_uuid(0);
               const auto kind = with.sessions.kind_of(session_id);
               if (kind == sessions::destination_kind::chat_room) {
                 throw client_error(client_errc::forbidden,
                                    "this id is a chat room's: members read it at /chatrooms/{id}/events");
               }
               sse::stream_options options;
               options.room_id = session_id;
               options.after_id = resume_after(context);
               options.allow_origin = with.cors.allowed_origin(context.request);
               options.ended = kind == sessions::destination_kind::ended_session;
               auto address_place = with.limits.admit_address(context.remote_address);
               if (options.ended) {
                 options.held_places = hold(std::get<0>(std::move(node_place)), std::move(address_place));
               } else {
                 options.held_places = hold(std::get<0>(std::move(node_place)), std::move(address_place),
                                            with.limits.admit_viewer(session_id));
               }
               return open_sse_stream(with.delivery, std::move(options));
             });
}

void add_websocket_route(router& routes, stomp::stomp_services& services) {
  routes.add(http::verb::get, "/ws", execution::io_thread,
             [&services](const request_context& context) -> route_result {
               if (!net::websocket::is_upgrade_request(context.request)) {
                 throw client_error(client_errc::bad_request,
                                    "this is a WebSocket endpoint: send an upgrade request");
               }
               auto handshake = net::websocket::accept_handshake(context.request, stomp_subprotocols);
               if (!handshake.accepted) return std::move(handshake.response);
               auto node_place = admit_stream(services.limits, context);
               if (auto* full = std::get_if<net::http_response>(&node_place)) return std::move(*full);
               auto place = hold(std::get<0>(std::move(node_place)),
                                 services.limits.admit_address(context.remote_address));
               return [&services, answer = to_text(handshake.response), place](
                          boost::beast::tcp_stream&& stream, boost::beast::flat_buffer&& already_read,
                          std::shared_ptr<model::fail_count> write_failures) {
                 const std::size_t thread_index = net::io_context_pool::current_thread_index();
                 auto session = std::make_shared<stomp::stomp_session>(
                     stream.release_socket(), services, thread_index, place);
                 session->inject_write_failures(std::move(write_failures));
                 session->start(answer, std::move(already_read));
               };
             });
}

}  // namespace livechat::api
