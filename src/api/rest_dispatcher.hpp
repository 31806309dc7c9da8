#pragma once
// The REST side of the server: routes each request, runs its handler where the route says
// (I/O thread or worker pool), and turns every failure into the contract's JSON error.

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstddef>

#include "api/cors_policy.hpp"
#include "api/router.hpp"
#include "net/http_handler.hpp"

namespace livechat::api {

class rest_dispatcher final : public net::http_handler {
 public:
  /// `max_queued_jobs`: requests waiting for a worker beyond this get 503 at once, so a flood
  /// of slow calls (password hashing) cannot queue without bound.
  rest_dispatcher(const router& routes, const cors_policy& cors, boost::asio::thread_pool& workers,
                  std::size_t max_queued_jobs = 4096);

  void handle(net::http_request&& request, const boost::asio::ip::address& remote,
              net::responder respond) override;
  void decorate(const net::http_request& request, net::http_response& response) const override;

 private:
  route_result run(const route& matched, const request_context& context) const;
  void finish(const net::http_request& request, route_result result,
              const net::responder& respond) const;

  const router& routes_;
  const cors_policy& cors_;
  boost::asio::thread_pool& workers_;
  const std::size_t max_queued_jobs_;
  std::atomic<std::size_t> queued_jobs_{0};
};

}  // namespace livechat::api
