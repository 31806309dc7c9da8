#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/routes.hpp"
#include "protocol/message_json.hpp"

namespace livechat::api {

namespace http = net::http;

void add_message_routes(router& routes, rooms::message_service& messages,
                        const auth::user_service& users) {
  routes.add(http::verb::get, "/chatrooms/{id}/messages", execution::worker,
             [&messages, &users](const request_context& context) -> route_result {
               const std::string user_id = users.authenticate(context.bearer_token());
               const std::string room_id = context.path_uuid(0);
               const auto since_id = context.query_message_id("sinceId");
               const auto before_id = context.query_message_id("beforeId");
               const std::int64_t limit = context.history_limit();
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
