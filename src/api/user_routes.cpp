#include <boost/json/object.hpp>

#include "api/routes.hpp"
#include "model/time.hpp"

namespace livechat::api {

namespace http = net::http;

namespace {

net::http_response token_pair_response(const auth::token_pair& pair) {
  auto response = net::make_json_response(
      http::status::ok,
      boost::json::object{{"accessToken", pair.access_token}, {"refreshToken", pair.refresh_token}});
  // Tokens are secrets: no cache, shared or private, may keep them.
  response.set(http::field::cache_control, "no-store");
  return response;
}

boost::json::object user_json(const model::user& user) {
  return {{"userId", user.user_id}, {"createdAt", model::format_rfc3339(user.created_at)}};
}

}  // namespace

void add_user_routes(router& routes, auth::user_service& users) {
  routes.add(http::verb::post, "/users/signup", execution::password_hashing,
             [&users](const request_context& context) {
               const auto body = context.json_object();
               const auto user = users.sign_up(required_string(body, "userId"),
                                               required_string(body, "password"));
               return net::make_json_response(http::status::created, user_json(user));
             });

  routes.add(http::verb::post, "/users/signin", execution::password_hashing,
             [&users](const request_context& context) {
               const auto body = context.json_object();
               return token_pair_response(users.sign_in(required_string(body, "userId"),
                                                        required_string(body, "password")));
             });

  routes.add(http::verb::post, "/users/refresh", execution::worker,
             [&users](const request_context& context) {
               const auto body = context.json_object();
               return token_pair_response(users.refresh(required_string(body, "refreshToken")));
             });

  routes.add(http::verb::get, "/users/me", execution::worker,
             [&users](const request_context& context) {
               const std::string user_id = users.authenticate(context.bearer_token());
               return net::make_json_response(http::status::ok, user_json(users.profile(user_id)));
             });
}

}  // namespace livechat::api
