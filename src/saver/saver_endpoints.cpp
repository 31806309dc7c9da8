#include "saver/saver_endpoints.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>

#include <optional>

#include "redis/handoff_lag.hpp"
#include "saver/saver_metrics.hpp"

namespace livechat::saver {

namespace http = net::http;

saver_endpoints::saver_endpoints(const saver_service& service, store::store& database,
                                 std::shared_ptr<redis::command_client> probe)
    : service_(service), database_(database), probe_(std::move(probe)) {}

saver_endpoints::~saver_endpoints() { health_thread_.join(); }

void saver_endpoints::handle(net::http_request&& request, const boost::asio::ip::address&,
                             net::responder respond) {
  const unsigned version = request.version();
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/healthz" && path != "/readyz" && path != "/metrics") {
    return respond(net::make_error_response(model::client_errc::not_found,
                                            "the saver serves /healthz, /readyz and /metrics",
                                            version));
  }
  if (request.method() != http::verb::get) {
    return respond(net::make_error_response(model::client_errc::method_not_allowed,
                                            "only GET", version));
  }
  if (path == "/healthz") {
    return respond(net::make_json_response(http::status::ok, boost::json::object{{"status", "ok"}},
                                           version));
  }
  if (path == "/readyz") return answer_ready(version, std::move(respond));
  answer_metrics(version, std::move(respond));
}

void saver_endpoints::decorate(const net::http_request&, net::http_response&) const {}

void saver_endpoints::answer_ready(unsigned version, net::responder respond) {
  boost::asio::post(health_thread_, [this, version, respond = std::move(respond)] {
    const char* problem = !service_.redis_stats().connected.load(std::memory_order_relaxed)
                              ? "Redis does not answer"
                          : !database_.healthy() ? "the database does not answer"
                                                 : nullptr;
    if (problem != nullptr) {
      return respond(net::make_error_response(model::client_errc::unavailable, problem, version));
    }
    respond(net::make_json_response(http::status::ok, boost::json::object{{"status", "ready"}},
                                    version));
  });
}

void saver_endpoints::answer_metrics(unsigned version, net::responder respond) {
  redis::read_handoff_lag(probe_, [this, version, respond = std::move(respond)](
                                      std::optional<std::uint64_t> lag) {
    net::http_response response{http::status::ok, version};
    response.set(http::field::content_type, "text/plain; version=0.0.4");
    const std::uint64_t reconnects =
        service_.redis_stats().reconnects.load(std::memory_order_relaxed) +
        probe_->stats().reconnects.load(std::memory_order_relaxed);
    response.body() = render_metrics(service_.stats(), reconnects, lag);
    response.prepare_payload();
    respond(std::move(response));
  });
}

}  // namespace livechat::saver
