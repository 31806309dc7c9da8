#pragma once
// The REST API's routes, one function per area, each adding its calls to a router.

#include "api/cors_policy.hpp"
#include "api/router.hpp"
#include "auth/api_key.hpp"
#include "auth/user_service.hpp"
#include "fanout/delivery_services.hpp"
#include "rooms/message_service.hpp"
#include "rooms/room_service.hpp"
#include "sessions/session_service.hpp"
#include "sessions/stream_limits.hpp"
#include "store/store.hpp"

namespace livechat::stomp {
struct stomp_services;  // stomp/stomp_session.hpp: only the WebSocket route needs the session
}

namespace livechat::api {

/// POST /users/signup, POST /users/signin, POST /users/refresh, GET /users/me.
void add_user_routes(router& routes, auth::user_service& users);

/// /chatrooms and /chatrooms/{id}: create, list, connected, get, join, exit.
void add_room_routes(router& routes, rooms::room_service& rooms, const auth::user_service& users);

/// GET and POST /chatrooms/{id}/messages: history, and sending through the broker.
void add_message_routes(router& routes, rooms::message_service& messages,
                        const auth::user_service& users);

/// What the streaming routes need.
struct stream_dependencies {
  rooms::message_service& messages;
  sessions::session_service& sessions;
  const auth::user_service& users;
  const cors_policy& cors;
  fanout::delivery_services& delivery;
  sessions::stream_limits& limits;
};

/// GET /chatrooms/{id}/events (a member's SSE stream of a room) and
/// GET /api/v1/chats/sse-connect/{sessionId} (a session's public SSE stream).
void add_stream_routes(router& routes, const stream_dependencies& with);

/// The tenant server API: publish, end and read a live-stream session (X-Api-Key).
void add_session_routes(router& routes, sessions::session_service& sessions,
                        const auth::api_key& key);

/// GET /ws: WebSocket with STOMP 1.2 (subprotocols v12.stomp, v11.stomp, v10.stomp).
void add_websocket_route(router& routes, stomp::stomp_services& services);

/// GET / (the chat page) and its /assets/{file}, GET /v3/api-docs (OpenAPI), GET
/// /asyncapi.yaml, GET /swagger-ui/{file} (and /swagger-ui, redirected to its index.html):
/// files built into the binary (web/embedded_files.hpp).
void add_docs_routes(router& routes);

/// GET /healthz (the process runs) and GET /readyz (its database and its broker answer).
void add_health_routes(router& routes, store::store& store, broker::broker& broker);

/// Adds the metrics of the mode to a scrape's `text`, possibly after an asynchronous read
/// (cluster mode reads the saver lag from Redis), then calls `done(text)` once, from any thread.
using metrics_appender =
    std::function<void(std::string text, std::function<void(std::string)> done)>;

/// GET /metrics: Prometheus text. `messages_delivered` sums the I/O threads' counts;
/// `append_more`, when set, adds the metrics of the mode (cluster mode's Redis and saver).
void add_metrics_route(router& routes, std::function<std::uint64_t()> messages_delivered,
                       metrics_appender append_more = {});

}  // namespace livechat::api
