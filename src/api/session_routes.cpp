#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/routes.hpp"
#include "protocol/message_json.hpp"

namespace livechat::api {

namespace http = net::http;
using model::client_errc;
using model::client_error;

namespace {

constexpr std::size_t max_messages_per_publish = 1000;

// Without LIVECHAT_API_KEY the tenant API does not exist (404); with it, the key is required.
void check_tenant(const request_context& context, const auth::api_key& key) {
  if (!key.configured()) throw client_error(client_errc::not_found, "no such resource");
  if (!key.matches(context.request["X-Api-Key"])) {
    throw client_error(client_errc::unauthorized, "a valid X-Api-Key header is required");
  }
}

sessions::tenant_message tenant_message_of(const boost::json::value& value) {
  if (!value.is_object()) {
    throw client_error(client_errc::validation_error, "each message must be a JSON object");
  }
  const auto& object = value.as_object();
  sessions::tenant_message message;
  message.sender = required_string(object, "sender");
  message.contents = required_string(object, "contents");
  message.nickname = optional_string(object, "nickname").value_or("");
  message.profile_img_url = optional_string(object, "profileImgUrl").value_or("");
  return message;
}

std::vector<sessions::tenant_message> tenant_messages_of(const request_context& context) {
  const boost::json::value body = context.json_value();
  std::vector<sessions::tenant_message> messages;
  if (body.is_array()) {
    const auto& list = body.as_array();
    if (list.empty() || list.size() > max_messages_per_publish) {
      throw client_error(client_errc::validation_error,
                         "send 1 to 1000 messages at a time");
    }
    for (const auto& each : list) messages.push_back(tenant_message_of(each));
  } else {
    messages.push_back(tenant_message_of(body));
  }
  return messages;
}

}  // namespace

void add_session_routes(router& routes, sessions::session_service& sessions,
                        const auth::api_key& key) {
  routes.add(http::verb::post, "/api/v1/sessions/{id}/messages", execution::worker,
             [&sessions, &key](const request_context& context) -> route_result {
               check_tenant(context, key);
               const std::string session_id = context.path_uuid(0);
               sessions.publish(session_id, tenant_messages_of(context),
                                [answer = context.answer](broker::publish_status status,
                                                          std::vector<std::int64_t> ids) {
                                  if (status == broker::publish_status::closed) {
                                    return answer(net::make_error_response(
                                        client_errc::session_ended, "the session has ended"));
                                  }
                                  if (status != broker::publish_status::kept) {
                                    return answer(net::make_error_response(
                                        client_errc::unavailable,
                                        "the messages could not be kept; try again"));
                                  }
                                  boost::json::array list(ids.begin(), ids.end());
                                  answer(net::make_json_response(
                                      http::status::accepted,
                                      boost::json::object{{"ids", std::move(list)}}));
                                });
               return answered_later{};
             });

  routes.add(http::verb::post, "/api/v1/sessions/{id}/end", execution::worker,
             [&sessions, &key](const request_context& context) -> route_result {
               check_tenant(context, key);
               sessions.end(context.path_uuid(0));
               net::http_response response{http::status::no_content, 11};
               response.prepare_payload();
               return response;
             });

  routes.add(http::verb::get, "/api/v1/sessions/{id}/messages", execution::worker,
             [&sessions, &key](const request_context& context) -> route_result {
               check_tenant(context, key);
               const std::string session_id = context.path_uuid(0);
               boost::json::array list;
               for (const auto& message : sessions.history(
                        session_id, context.query_message_id("sinceId"), context.history_limit())) {
                 list.push_back(protocol::message_to_json(message));
               }
               return net::make_json_response(http::status::ok,
                                              boost::json::object{{"messages", std::move(list)}});
             });
}

}  // namespace livechat::api
