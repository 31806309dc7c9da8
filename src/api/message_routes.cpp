#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <limits>

#include "api/routes.hpp"
#include "protocol/message_json.hpp"

namespace livechat::api {

namespace http = net::http;

namespace {

constexpr std::int64_t default_history_limit = 50;
constexpr std::int64_t max_history_limit = 500;
constexpr std::int64_t max_id = std::numeric_limits<std::int64_t>::max();

std::optional<std::int64_t> optional_id(const request_context& context, std::string_view name) {
  if (!context.query_value(name) || context.query_value(name)->empty()) return std::nullopt;
  return context.query_integer(name, 0, 0, max_id);
}

}  // namespace

void add_message_routes(router& routes, rooms::message_service& messages,
                        const auth::user_service& users) {
  routes.add(http::verb::get, "/chatrooms/{id}/messages", execution::worker,
             [&messages, &users](const request_context& context) -> route_result {
               const std::string user_id = users.authenticate(context.bearer_token());
               const std::string room_id = context.path_uuid(0);
               const auto since_id = optional_id(context, "sinceId");
               const auto before_id = optional_id(context, "beforeId");
               const std::int64_t limit =
                   context.query_integer("limit", default_history_limit, 1, max_history_limit);
               boost::json::array list;
               for (const auto& message :
                    messages.history(room_id, user_id, since_id, before_id, limit)) {
                 list.push_back(protocol::message_to_json(message));
               }
               return net::make_json_response(http::status::ok,
                                              boost::json::object{{"messages", std::move(list)}});
             });

  routes.add(http::verb::post, "/chatrooms/{id}/messages", execution::worker,
             [&messages, &users](const request_context& context) -> route_result {
               const std::string user_id = users.authenticate(context.bearer_token());
               const std::string room_id = context.path_uuid(0);
               const auto body = context.json_object();
               std::string contents(required_string(body, "contents"));
               // Answered once the message is kept: 201 means it survives a crash.
               messages.send(room_id, user_id, std::move(contents),
                             [answer = context.answer](rooms::send_outcome outcome) {
                               if (!outcome.kept) {
                                 return answer(net::make_error_response(outcome.error,
                                                                        outcome.error_message));
                               }
                               answer(net::make_json_response(
                                   http::status::created, protocol::message_to_json(*outcome.kept)));
                             });
               return answered_later{};
             });
}

}  // namespace livechat::api
