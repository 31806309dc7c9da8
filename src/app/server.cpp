#include "app/server.hpp"

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

#include <csignal>

#include "api/routes.hpp"
#include "app/store_factory.hpp"

namespace livechat::app {

namespace asio = boost::asio;

namespace {

// SIGTERM must end the process within 10 s (SPEC.md section 8); what is still unanswered
// after this long is cut off, leaving time to close the store.
constexpr auto drain_timeout = std::chrono::seconds(8);
constexpr auto drain_poll_interval = std::chrono::milliseconds(20);

// Password hashing and SQLite block: they run here, never on an I/O thread. Each hash holds
// 64 MiB while it runs, which bounds this pool's memory at a few hundred MiB.
std::size_t worker_count(const settings& config) {
  return std::max<std::size_t>(4, config.threads);
}

}  // namespace

server::server(const settings& config)
    : config_(config),
      store_(open_store(config)),
      tokens_(config.jwt_secret, config.access_token_ttl, config.refresh_token_ttl),
      users_(*store_, tokens_),
      rooms_(*store_),
      cors_(config.cors_origins),
      workers_(worker_count(config)),
      dispatcher_(routes_, cors_, workers_),
      io_threads_(config.threads),
      signals_(control_, SIGTERM, SIGINT),
      drain_timer_(control_) {
  api::add_health_routes(routes_, *store_);
  api::add_user_routes(routes_, users_);
  api::add_room_routes(routes_, rooms_, users_);

  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(config.host), config.port);
  listener_ = std::make_shared<net::listener>(
      control_, io_threads_, endpoint, [this](asio::ip::tcp::socket&& socket) {
        std::make_shared<net::http_session>(std::move(socket), dispatcher_, limits_, lifecycle_)
            ->start();
      });
}

server::~server() { finish(); }

void server::run() {
  io_threads_.start();
  listener_->start();
  signals_.async_wait([this](const boost::system::error_code& error, int signal_number) {
    on_signal(error, signal_number);
  });
  spdlog::info("livechat serving on {}:{} with {} I/O threads (embedded mode, SQLite)",
               config_.host, listener_->local_endpoint().port(), io_threads_.size());
  control_.run();
}

void server::on_signal(const boost::system::error_code& error, int signal_number) {
  if (error) return;
  spdlog::info("signal {} received: no new connections; finishing {} requests in flight",
               signal_number, lifecycle_.requests_in_flight());
  listener_->stop();
  lifecycle_.begin_draining();
  drain_deadline_ = std::chrono::steady_clock::now() + drain_timeout;
  wait_for_drain();
}

void server::wait_for_drain() {
  if (lifecycle_.requests_in_flight() == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
    if (lifecycle_.requests_in_flight() != 0) {
      spdlog::warn("shutting down with {} requests unanswered", lifecycle_.requests_in_flight());
    }
    control_.stop();
    return;
  }
  drain_timer_.expires_after(drain_poll_interval);
  drain_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) wait_for_drain();
  });
}

void server::finish() {
  // Connections first (their handlers may still post to the workers), then the workers, which
  // may still be writing to the store.
  io_threads_.stop();
  workers_.join();
}

}  // namespace livechat::app
