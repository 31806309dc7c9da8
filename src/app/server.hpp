#pragma once
// `livechat serve`: builds the whole server from its settings and runs it until SIGTERM.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>

#include "api/cors_policy.hpp"
#include "api/rest_dispatcher.hpp"
#include "api/router.hpp"
#include "app/broker_factory.hpp"
#include "app/settings.hpp"
#include "auth/api_key.hpp"
#include "auth/token_service.hpp"
#include "auth/user_service.hpp"
#include "billing/billing_reporter.hpp"
#include "billing/usage_claims.hpp"
#include "billing/usage_meter.hpp"
#include "broker/broker.hpp"
#include "fanout/batch_inbox.hpp"
#include "fanout/delivery_services.hpp"
#include "fanout/room_hub.hpp"
#include "fanout/thread_fanout.hpp"
#include "net/http_session.hpp"
#include "net/io_context_pool.hpp"
#include "net/listener.hpp"
#include "net/server_lifecycle.hpp"
#include "rooms/message_service.hpp"
#include "rooms/rate_limiter.hpp"
#include "rooms/room_service.hpp"
#include "saver/background_saver.hpp"
#include "sessions/session_service.hpp"
#include "sessions/stream_limits.hpp"
#include "stomp/stomp_session.hpp"
#include "store/store.hpp"

namespace livechat::app {

class server {
 public:
  /// Opens the store and binds the listening socket; throws when either fails.
  explicit server(const settings& config);
  ~server();

  /// Serves until SIGTERM or SIGINT; then stops accepting, lets the requests being answered
  /// finish (for at most `drain_timeout`), and returns.
  void run();

  /// The REST routes, as registered (for the test that holds the OpenAPI document to them).
  const api::router& routes() const { return routes_; }

 private:
  void on_signal(const boost::system::error_code& error, int signal_number);
  void wait_for_drain();
  void end_streams();
  void wait_for_streams();
  void finish();
  void schedule_tick();
  void deliver(std::size_t thread_index, fanout::batch_list batches);

  // Declared in dependency order: each member may use those above it, and is destroyed
  // before them (connections, destroyed with io_threads_, still unsubscribe from the hub).
  const settings& config_;
  std::unique_ptr<store::store> store_;
  auth::token_service tokens_;
  auth::user_service users_;
  fanout::room_hub hub_;
  std::vector<std::unique_ptr<fanout::thread_fanout>> thread_fanouts_;
  std::vector<std::unique_ptr<fanout::batch_inbox>> inboxes_;  // one per I/O thread
  opened_broker opened_broker_;  // the broker (and, in cluster mode, its Redis side)
  broker::broker* broker_;
  // `--with-saver`: a saver with connections and a thread of its own; stopped in finish(),
  // after the I/O threads, whose /metrics scrapes read its counters.
  std::unique_ptr<saver::background_saver> saver_;
  rooms::rate_limiter rate_limiter_;
  rooms::room_service rooms_;
  rooms::message_service messages_;
  sessions::session_service sessions_;
  sessions::stream_limits stream_limits_;
  auth::api_key tenant_key_;
  billing::usage_meter usage_;
  api::router routes_;
  api::cors_policy cors_;
  boost::asio::thread_pool workers_;
  boost::asio::thread_pool hashing_;  // password hashing only (rest_dispatcher)
  fanout::delivery_services delivery_;
  stomp::stomp_services stomp_;
  api::rest_dispatcher dispatcher_;
  net::http_limits limits_;
  net::server_lifecycle lifecycle_;
  // Streaming connections (SSE, WebSocket) and their deliveries.
  net::io_context_pool io_threads_;
  // Plain requests: a connection starts here, and moves to io_threads_ when it turns into a
  // stream. Destroyed first: its sessions may still hand a stream over.
  net::io_context_pool request_threads_;
  // The main thread's context: accepting, signals and shutdown.
  boost::asio::io_context control_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer tick_timer_;
  std::chrono::steady_clock::time_point next_tick_;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::shared_ptr<net::listener> listener_;
  std::shared_ptr<billing::billing_reporter> billing_;  // when TENANT_BASE_URL is set
  std::shared_ptr<billing::usage_claims> claims_;       // and in cluster mode
};

}  // namespace livechat::app
