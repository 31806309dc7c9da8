#include "api/rest_dispatcher.hpp"

#include <boost/asio/post.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "api/loggable_target.hpp"
#include "metrics/metrics.hpp"
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

net::http_response overloaded(unsigned version) {
  auto response = net::make_error_response(client_errc::unavailable,
                                           "the server is overloaded; try again", version);
  response.set(http::field::retry_after, "1");
  return response;
}

net::http_response too_many_password_checks(unsigned version) {
  auto response = net::make_error_response(
      client_errc::rate_limited, "too many sign-ins and password checks at once; try again",
      version);
  response.set(http::field::retry_after, "1");
  return response;
}

}  // namespace

rest_dispatcher::rest_dispatcher(const router& routes, const cors_policy& cors,
                                 boost::asio::thread_pool& workers,
                                 boost::asio::thread_pool& hashing, std::size_t max_hashing_jobs,
                                 std::size_t max_queued_jobs)
    : routes_(routes),
      cors_(cors),
      workers_{workers, max_queued_jobs},
      hashing_{hashing, max_hashing_jobs} {}

void rest_dispatcher::decorate(const net::http_request& request,
                               net::http_response& response) const {
  cors_.apply(request, response);
  // A browser must take each answer as the type it says (JSON stays JSON, never a script).
  response.set("X-Content-Type-Options", "nosniff");
}

void rest_dispatcher::handle(net::http_request&& request, const boost::asio::ip::address& remote,
                             net::responder respond) {
  const unsigned version = request.version();
  const auto target = boost::urls::parse_origin_form(request.target());
  if (!target) {
    return finish(request,
                  net::make_error_response(client_errc::bad_request,
                                           "the request target is not a valid path", version),
                  respond);
  }
  if (request.method() == http::verb::options) return finish(request, cors_.preflight(request), respond);

  std::vector<std::string> segments;
  for (auto segment : target->segments()) {
    if (!segment.empty()) segments.push_back(segment);
  }
  const route_match match = routes_.find(request.method(), segments);
  if (match.matched == nullptr) {
    if (match.allowed.empty()) {
      return finish(request,
                    net::make_error_response(client_errc::not_found, "no such resource", version),
                    respond);
    }
    auto response = net::make_error_response(client_errc::method_not_allowed,
                                             "method not allowed here", version);
    response.set(http::field::allow, allowed_methods(match.allowed));
    return finish(request, std::move(response), respond);
  }

  auto context = std::make_shared<request_context>();
  for (auto param : target->params()) context->query.emplace_back(param.key, param.value);
  context->path_parameters = match.parameters;
  context->remote_address = remote.to_string();
  context->request = std::move(request);
  // Answering later needs only the request's version and origin, not the whole context.
  net::http_request request_head;
  request_head.version(context->request.version());
  request_head.set(http::field::origin, context->request[http::field::origin]);
  context->answer = [this, request_head, respond](net::http_response response) {
    finish(request_head, std::move(response), respond);
  };

  const route& matched = *match.matched;
  if (matched.where == execution::password_hashing ||
      (matched.hashes_password && matched.hashes_password(*context))) {
    return run_on(hashing_, &matched, std::move(context), respond, too_many_password_checks);
  }
  if (matched.where == execution::io_thread) {
    return finish(context->request, run(matched, *context), respond);
  }
  run_on(workers_, &matched, std::move(context), respond, overloaded);
}

void rest_dispatcher::run_on(bounded_pool& pool, const route* matched,
                             std::shared_ptr<request_context> context,
                             const net::responder& respond,
                             net::http_response (*full)(unsigned version)) {
  if (pool.jobs.fetch_add(1, std::memory_order_relaxed) >= pool.max_jobs) {
    pool.jobs.fetch_sub(1, std::memory_order_relaxed);
    return finish(context->request, full(context->request.version()), respond);
  }
  boost::asio::post(pool.threads, [this, &pool, matched, context = std::move(context), respond,
                                   queued_at = std::chrono::steady_clock::now()] {
    pool.jobs.fetch_sub(1, std::memory_order_relaxed);
    if (&pool == &workers_) {
      metrics::counters().worker_wait.observe(std::chrono::steady_clock::now() - queued_at);
    }
    finish(context->request, run(*matched, *context), respond);
  });
}

void rest_dispatcher::finish(const net::http_request& request, route_result result,
                             const net::responder& respond) const {
  if (auto* response = std::get_if<net::http_response>(&result)) {
    response->version(request.version());
    decorate(request, *response);
    respond(std::move(*response));
  } else if (auto* takeover = std::get_if<net::connection_takeover>(&result)) {
    respond(std::move(*takeover));
  }
  // answered_later: the handler calls context.answer itself.
}

route_result rest_dispatcher::run(const route& matched,
                                        const request_context& context) const {
  const unsigned version = context.request.version();
  try {
    return matched.handler(context);
  } catch (const model::client_error& error) {
    auto response = net::make_error_response(error.errc(), error.what(), version);
    // A client told to come back (rate limit, a full server or session) is told when.
    if (error.errc() == client_errc::rate_limited || error.errc() == client_errc::unavailable) {
      response.set(http::field::retry_after, "1");
    }
    return response;
  } catch (const store::store_error& error) {
    spdlog::error("database failure on {} {}: {}", context.request.method_string(),
                  loggable_target(context.request.target()), error.what());
    return net::make_error_response(client_errc::unavailable,
                                    "the database is unavailable; try again", version);
  } catch (const std::exception& error) {
    spdlog::error("unexpected failure on {} {}: {}", context.request.method_string(),
                  loggable_target(context.request.target()), error.what());
    return net::make_error_response(client_errc::internal, "internal error", version);
  }
}

}  // namespace livechat::api
