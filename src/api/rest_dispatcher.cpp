#include "api/rest_dispatcher.hpp"

#include <boost/asio/post.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <memory>

#include "model/client_error.hpp"
#include "store/store.hpp"

namespace livechat::api {

namespace http = net::http;
using model::client_errc;

namespace {

std::string allowed_methods(const std::vector<http::verb>& methods) {
  std::string list;
  for (http::verb method : methods) {
    if (!list.empty()) list += ", ";
    list += http::to_string(method);
  }
  return list;
}

}  // namespace

rest_dispatcher::rest_dispatcher(const router& routes, const cors_policy& cors,
                                 boost::asio::thread_pool& workers, std::size_t max_queued_jobs)
    : routes_(routes), cors_(cors), workers_(workers), max_queued_jobs_(max_queued_jobs) {}

void rest_dispatcher::decorate(const net::http_request& request,
                               net::http_response& response) const {
  cors_.apply(request, response);
}

void rest_dispatcher::handle(net::http_request&& request, net::responder respond) {
  const unsigned version = request.version();
  auto finish = [this, respond](const net::http_request& for_request,
                                net::http_response response) {
    response.version(for_request.version());
    decorate(for_request, response);
    respond(std::move(response));
  };

  const auto target = boost::urls::parse_origin_form(request.target());
  if (!target) {
    return finish(request, net::make_error_response(client_errc::bad_request,
                                                    "the request target is not a valid path",
                                                    version));
  }
  if (request.method() == http::verb::options) return finish(request, cors_.preflight(request));

  std::vector<std::string> segments;
  for (auto segment : target->segments()) {
    if (!segment.empty()) segments.push_back(segment);
  }
  const route_match match = routes_.find(request.method(), segments);
  if (match.matched == nullptr) {
    if (match.allowed.empty()) {
      return finish(request, net::make_error_response(client_errc::not_found,
                                                      "no such resource", version));
    }
    auto response = net::make_error_response(client_errc::method_not_allowed,
                                             "method not allowed here", version);
    response.set(http::field::allow, allowed_methods(match.allowed));
    return finish(request, std::move(response));
  }

  auto context = std::make_shared<request_context>();
  for (auto param : target->params()) context->query.emplace_back(param.key, param.value);
  context->path_parameters = match.parameters;
  context->request = std::move(request);

  if (match.matched->where == execution::io_thread) {
    return finish(context->request, run(*match.matched, *context));
  }
  if (queued_jobs_.fetch_add(1, std::memory_order_relaxed) >= max_queued_jobs_) {
    queued_jobs_.fetch_sub(1, std::memory_order_relaxed);
    auto response = net::make_error_response(client_errc::unavailable,
                                             "the server is overloaded; try again", version);
    response.set(http::field::retry_after, "1");
    return finish(context->request, std::move(response));
  }
  boost::asio::post(workers_, [this, matched = match.matched, context, finish] {
    queued_jobs_.fetch_sub(1, std::memory_order_relaxed);
    finish(context->request, run(*matched, *context));
  });
}

net::http_response rest_dispatcher::run(const route& matched,
                                        const request_context& context) const {
  const unsigned version = context.request.version();
  try {
    return matched.handler(context);
  } catch (const model::client_error& error) {
    auto response = net::make_error_response(error.errc(), error.what(), version);
    if (error.errc() == client_errc::rate_limited) response.set(http::field::retry_after, "1");
    return response;
  } catch (const store::store_error& error) {
    spdlog::error("database failure on {} {}: {}", context.request.method_string(),
                  context.request.target(), error.what());
    return net::make_error_response(client_errc::unavailable,
                                    "the database is unavailable; try again", version);
  } catch (const std::exception& error) {
    spdlog::error("unexpected failure on {} {}: {}", context.request.method_string(),
                  context.request.target(), error.what());
    return net::make_error_response(client_errc::internal, "internal error", version);
  }
}

}  // namespace livechat::api
