#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <limits>

#include "api/routes.hpp"
#include "model/client_error.hpp"
#include "model/time.hpp"
#include "protocol/message_json.hpp"

namespace livechat::api {

namespace http = net::http;

namespace {

constexpr std::int64_t default_page_size = 20;
constexpr std::int64_t max_page_size = 100;
// Large enough for any real list, small enough that page * size cannot overflow.
constexpr std::int64_t max_page = std::numeric_limits<std::int32_t>::max();

boost::json::object room_json(const model::room& room) {
  return {
      {"chatRoomId", room.id},
      {"name", room.name},
      {"creator", room.creator},
      {"privateRoom", room.is_private()},
      {"createdAt", model::format_rfc3339(room.created_at)},
      {"numberOfUser", room.member_count},
      {"closed", room.closed},
  };
}

net::http_response room_page_response(const store::room_page& page) {
  boost::json::array rooms;
  rooms.reserve(page.rooms.size());
  for (const auto& room : page.rooms) rooms.push_back(room_json(room));
  return net::make_json_response(http::status::ok,
                                 boost::json::object{{"chatRooms", std::move(rooms)},
                                                     {"total", page.total}});
}

store::page_request page_of(const request_context& context) {
  return store::page_request{
      .page = context.query_integer("offset", 0, 0, max_page),
      .size = context.query_integer("limit", default_page_size, 1, max_page_size),
  };
}

// Join's body is optional: a public room is joined with none at all.
std::optional<std::string> join_password(const request_context& context) {
  if (context.request.body().find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
  const auto body = context.json_object();
  const auto password = optional_string(body, "password");
  if (!password) return std::nullopt;
  return std::string(*password);
}

// A request that names a non-empty password: a private room's, hashed (create) or checked
// (join), so it runs on the password-hashing pool. A body that is no JSON object runs where
// the route says and gets its 400 there.
bool names_password(const request_context& context) {
  try {
    const auto body = context.json_object();
    const auto password = optional_string(body, "password");
    return password && !password->empty();
  } catch (const model::client_error&) {
    return false;
  }
}

}  // namespace

void add_room_routes(router& routes, rooms::room_service& rooms, const auth::user_service& users) {
  routes.add(http::verb::post, "/chatrooms", execution::worker,
             [&rooms, &users](const request_context& context) {
               const std::string user_id = users.authenticate(context.bearer_token());
               const auto body = context.json_object();
               const auto room = rooms.create(user_id, required_string(body, "name"),
                                              optional_string(body, "password"));
               return net::make_json_response(http::status::created, room_json(room));
             },
             names_password);

  routes.add(http::verb::get, "/chatrooms", execution::worker,
             [&rooms, &users](const request_context& context) {
               users.authenticate(context.bearer_token());
               const auto page = page_of(context);
               return room_page_response(rooms.list(context.query_value("name").value_or(""), page));
             });

  routes.add(http::verb::get, "/chatrooms/connected", execution::worker,
             [&rooms, &users](const request_context& context) {
               const std::string user_id = users.authenticate(context.bearer_token());
               return room_page_response(rooms.list_joined(user_id, page_of(context)));
             });

  routes.add(http::verb::get, "/chatrooms/{id}", execution::worker,
             [&rooms, &users](const request_context& context) {
               users.authenticate(context.bearer_token());
               return net::make_json_response(http::status::ok,
                                              room_json(rooms.get(context.path_uuid(0))));
             });

  routes.add(http::verb::post, "/chatrooms/{id}", execution::worker,
             [&rooms, &users](const request_context& context) {
               const std::string user_id = users.authenticate(context.bearer_token());
               const std::string room_id = context.path_uuid(0);
               const auto password = join_password(context);
               const auto messages = rooms.join(room_id, user_id, password);
               boost::json::array body;
               body.reserve(messages.size());
               for (const auto& message : messages) body.push_back(protocol::message_to_json(message));
               return net::make_json_response(http::status::ok, body);
             },
             names_password);

  routes.add(http::verb::put, "/chatrooms/{id}", execution::worker,
             [&rooms, &users](const request_context& context) {
               const std::string user_id = users.authenticate(context.bearer_token());
               rooms.exit(context.path_uuid(0), user_id);
               return net::make_json_response(http::status::ok, true);
             });
}

}  // namespace livechat::api
