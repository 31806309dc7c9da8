#include <boost/json/object.hpp>

#include "api/routes.hpp"
#include "metrics/metrics.hpp"
#include "model/client_error.hpp"

namespace livechat::api {

namespace http = net::http;

void add_health_routes(router& routes, store::store& store) {
  routes.add(http::verb::get, "/healthz", execution::io_thread, [](const request_context&) {
    return net::make_json_response(http::status::ok, boost::json::object{{"status", "ok"}});
  });

  routes.add(http::verb::get, "/readyz", execution::worker, [&store](const request_context&) {
    if (!store.healthy()) {
      return net::make_error_response(model::client_errc::unavailable,
                                      "the database does not answer");
    }
    return net::make_json_response(http::status::ok, boost::json::object{{"status", "ready"}});
  });
}

void add_metrics_route(router& routes, std::function<std::uint64_t()> messages_delivered) {
  routes.add(http::verb::get, "/metrics", execution::io_thread,
             [messages_delivered = std::move(messages_delivered)](const request_context&) {
               net::http_response response{http::status::ok, 11};
               response.set(http::field::content_type, "text/plain; version=0.0.4");
               response.body() = metrics::render_prometheus(metrics::counters(), messages_delivered());
               response.prepare_payload();
               return response;
             });
}

}  // namespace livechat::api
