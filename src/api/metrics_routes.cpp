#include "api/routes.hpp"
#include "metrics/metrics.hpp"

namespace livechat::api {

namespace http = net::http;

namespace {

net::http_response metrics_response(std::string text) {
  net::http_response response{http::status::ok, 11};
  response.set(http::field::content_type, "text/plain; version=0.0.4");
  response.body() = std::move(text);
  response.prepare_payload();
  return response;
}

}  // namespace

void add_metrics_route(router& routes, std::function<std::uint64_t()> messages_delivered,
                       metrics_appender append_more) {
  routes.add(http::verb::get, "/metrics", execution::io_thread,
             [messages_delivered = std::move(messages_delivered),
              append_more = std::move(append_more)](const request_context& context) -> route_result {
               std::string text =
                   metrics::render_prometheus(metrics::counters(), messages_delivered());
               if (!append_more) return metrics_response(std::move(text));
               append_more(std::move(text), [answer = context.answer](std::string all) {
                 answer(metrics_response(std::move(all)));
               });
               return answered_later{};
             });
}

}  // namespace livechat::api
