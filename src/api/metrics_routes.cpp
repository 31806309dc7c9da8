#include "api/routes.hpp"
#include "metrics/metrics.hpp"

namespace livechat::api {

namespace http = net::http;

void add_metrics_route(router& routes, std::function<std::uint64_t()> messages_delivered,
                       std::function<void(std::string&)> append_more) {
  routes.add(http::verb::get, "/metrics", execution::io_thread,
             [messages_delivered = std::move(messages_delivered),
              append_more = std::move(append_more)](const request_context&) {
               net::http_response response{http::status::ok, 11};
               response.set(http::field::content_type, "text/plain; version=0.0.4");
               response.body() = metrics::render_prometheus(metrics::counters(), messages_delivered());
               if (append_more) append_more(response.body());
               response.prepare_payload();
               return response;
             });
}

}  // namespace livechat::api
