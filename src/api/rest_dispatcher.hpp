#pragma once
// The REST side of the server: routes each request, runs its handler where the route says
// (I/O thread or worker pool), and turns every failure into the contract's JSON error.

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstddef>
#include <memory>

#include "api/cors_policy.hpp"
#include "api/router.hpp"
#include "net/http_handler.hpp"

namespace livechat::api {

/// A thread pool with a bound on the jobs waiting for one of its threads.
struct bounded_pool {
  boost::asio::thread_pool& threads;
  std::size_t max_jobs;
  std::atomic<std::size_t> jobs{0};  // posted, not yet started
};

class rest_dispatcher final : public net::http_handler {
 public:
  /// `max_queued_jobs`: requests waiting for a worker beyond this get 503 at once.
  /// `hashing`: the pool for password hashing (sign-up, sign-in, private rooms); beyond
  /// `max_hashing_jobs` waiting there, a request gets 429 RATE_LIMITED at once.
  rest_dispatcher(const router& routes, const cors_policy& cors, boost::asio::thread_pool& workers,
                  boost::asio::thread_pool& hashing, std::size_t max_hashing_jobs,
                  std::size_t max_queued_jobs = 4096);

  void handle(net::http_request&& request, const boost::asio::ip::address& remote,
              net::responder respond) override;
  void decorate(const net::http_request& request, net::http_response& response) const override;

 private:
  route_result run(const route& matched, const request_context& context) const;
  // Runs `matched` on `pool`, or answers `full` (with Retry-After) when the pool is at its bound.
  void run_on(bounded_pool& pool, const route* matched, std::shared_ptr<request_context> context,
              const net::responder& respond, net::http_response (*full)(unsigned version));
  void finish(const net::http_request& request, route_result result,
              const net::responder& respond) const;

  const router& routes_;
  const cors_policy& cors_;
  bounded_pool workers_;
  bounded_pool hashing_;
};

}  // namespace livechat::api
