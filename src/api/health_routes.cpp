#include <boost/json/object.hpp>

#include "api/routes.hpp"
#include "model/client_error.hpp"

namespace livechat::api {

namespace http = net::http;

void add_health_routes(router& routes, store::store& store, broker::broker& broker) {
  routes.add(http::verb::get, "/healthz", execution::io_thread, [](const request_context&) {
    return net::make_json_response(http::status::ok, boost::json::object{{"status", "ok"}});
  });

  routes.add(http::verb::get, "/readyz", execution::worker, [&store, &broker](const request_context&) {
    if (!broker.healthy()) {
      return net::make_error_response(model::client_errc::unavailable,
                                      "the broker (Redis) does not answer");
    }
    if (!store.healthy()) {
      return net::make_error_response(model::client_errc::unavailable,
                                      "the database does not answer");
    }
    return net::make_json_response(http::status::ok, boost::json::object{{"status", "ready"}});
  });
}

}  // namespace livechat::api
