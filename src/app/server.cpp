#include "app/server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <csignal>

#include "api/routes.hpp"
#include "app/broker_factory.hpp"
#include "app/cluster_metrics.hpp"
#include "app/saver_factory.hpp"
#include "app/store_factory.hpp"

namespace livechat::app {

namespace asio = boost::asio;

namespace {

// SIGTERM must end the process within 10 s (SPEC.md section 8): requests get this long to be
// answered, then streams this long to say goodbye, leaving time to close the store.
constexpr auto drain_timeout = std::chrono::seconds(6);
constexpr auto stream_goodbye_timeout = std::chrono::seconds(1);
constexpr auto billing_flush_timeout = std::chrono::seconds(2);
// Cluster mode's last billing claims in Redis, before that flush (normally one round trip).
constexpr auto claims_flush_timeout = std::chrono::seconds(1);
constexpr auto drain_poll_interval = std::chrono::milliseconds(20);
// How often each I/O thread sweeps its streams for due keep-alives and idle buffers.
constexpr auto housekeeping_interval = std::chrono::milliseconds(250);

// SQLite blocks: it runs here, never on an I/O thread.
std::size_t worker_count(const settings& config) {
  return std::max<std::size_t>(4, config.threads);
}

// MAX_STREAMS=0: the descriptor limit less this margin, so that plain requests (/healthz,
// REST), the database and the listener still find descriptors while streams flood in.
constexpr std::size_t descriptor_margin = 256;
constexpr std::size_t min_default_streams = 16;

std::size_t max_streams(const settings& config) {
  if (config.max_streams > 0) return config.max_streams;
  rlimit descriptors{};
  if (getrlimit(RLIMIT_NOFILE, &descriptors) != 0 || descriptors.rlim_cur == RLIM_INFINITY) {
    return 1'000'000;
  }
  const auto limit = static_cast<std::size_t>(descriptors.rlim_cur);
  return limit > descriptor_margin + min_default_streams ? limit - descriptor_margin
                                                         : min_default_streams;
}

// Argon2id (sign-up, sign-in, private rooms) takes tens of milliseconds and 64 MiB per hash on
// purpose: it gets half the cores at most, so that the rest of the server always has a core,
// and a short queue, so that a flood gets 429 at once instead of waiting without bound.
std::size_t hashing_thread_count(const settings& config) {
  return std::max<std::size_t>(1, config.threads / 2);
}
constexpr std::size_t max_waiting_password_checks = 16;

// Requests are read and answered on threads of their own, so that accepting a message never
// waits behind a delivery pass's thousands of writes on the I/O threads: these threads are
// mostly asleep, and the kernel runs a thread that wakes from sleep ahead of busy ones. A
// request takes microseconds of them (the work is on the workers): one per four I/O threads.
std::size_t request_thread_count(const settings& config) {
  return std::max<std::size_t>(1, config.threads / 4);
}

}  // namespace

// A connection's output queue; a subscriber further behind is disconnected (SPEC section 5).
constexpr std::size_t output_limit_bytes = 1024 * 1024;

server::server(const settings& config)
    : config_(config),
      store_(open_store(config)),
      tokens_(config.jwt_secret, config.access_token_ttl, config.refresh_token_ttl),
      users_(*store_, tokens_),
      hub_(config.threads, config.history_size,
           [this](std::size_t thread_index, fanout::batch_list batches) {
             deliver(thread_index, std::move(batches));
           },
           // FLUSH_INTERVAL_MS=0: no ticks, every commit is flushed at once.
           [this] {
             if (config_.flush_interval.count() == 0) {
               asio::post(control_, [this] { hub_.flush(); });
             }
           }),
      opened_broker_(open_broker(config, *store_, hub_)),
      broker_(opened_broker_.broker.get()),
      saver_(open_background_saver(config)),
      rate_limiter_(config.rate_limit_per_s, config.rate_limit_burst),
      rooms_(*store_, *broker_),
      messages_(*store_, *broker_, rate_limiter_, config.max_message_length),
      sessions_(*store_, *broker_, config.max_message_length),
      stream_limits_(config.max_viewers_per_session, config.max_streams_per_ip, max_streams(config)),
      tenant_key_(config.livechat_api_key),
      cors_(config.cors_origins),
      workers_(worker_count(config)),
      hashing_(hashing_thread_count(config)),
      delivery_{hub_, thread_fanouts_, *broker_, workers_, output_limit_bytes},
      stomp_{users_, messages_, sessions_, stream_limits_, delivery_},
      dispatcher_(routes_, cors_, workers_, hashing_, max_waiting_password_checks),
      io_threads_(config.threads),
      request_threads_(request_thread_count(config)),
      signals_(control_, SIGTERM, SIGINT),
      drain_timer_(control_),
      tick_timer_(control_) {
  stomp_.max_subscriptions = config.max_subscriptions_per_connection;
  limits_.failure_injection = config.failure_injection;
  hub_.listen_through(*broker_);
  for (std::size_t index = 0; index < io_threads_.size(); ++index) {
    thread_fanouts_.push_back(
        std::make_unique<fanout::thread_fanout>(index, io_threads_.context(index).get_executor()));
    inboxes_.push_back(std::make_unique<fanout::batch_inbox>());
  }
  if (!config.tenant_base_url.empty()) {
    // Usage: each session batch that reached a listener counts its messages once (SPEC 7).
    // Every session listener holds a viewer place; chat rooms' listeners hold none.
    // In cluster mode each message counts once however many nodes delivered it: claimed in
    // Redis first (billing/usage_claims.hpp).
    if (opened_broker_.redis != nullptr) {
      claims_ = billing::usage_claims::create(control_.get_executor(),
                                              opened_broker_.redis->commands(), usage_,
                                              config.billing_interval);
    }
    hub_.observe_batches([this](const fanout::batch& built) {
      if (!stream_limits_.has_viewers(built.room_id)) return;
      if (claims_) return claims_->record(built);
      usage_.record(built.room_id, built.messages.size());
    });
    billing::billing_options options;
    options.tenant_base_url = config.tenant_base_url;
    options.interval = config.billing_interval;
    billing_ = billing::billing_reporter::create(control_, usage_, options);
  }
  api::add_health_routes(routes_, *store_, *broker_);
  api::add_user_routes(routes_, users_);
  api::add_room_routes(routes_, rooms_, users_);
  api::add_message_routes(routes_, messages_, users_);
  api::add_session_routes(routes_, sessions_, tenant_key_);
  api::add_stream_routes(routes_, {messages_, sessions_, users_, cors_, delivery_, stream_limits_});
  api::add_websocket_route(routes_, stomp_);
  api::add_docs_routes(routes_);
  api::add_metrics_route(routes_, [this] {
    std::uint64_t total = 0;
    for (const auto& fanout : thread_fanouts_) total += fanout->messages_delivered();
    return total;
  }, opened_broker_.redis != nullptr ? cluster_metrics(*opened_broker_.redis, saver_.get())
                                     : api::metrics_appender{});

  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(config.host), config.port);
  listener_ = std::make_shared<net::listener>(
      control_, request_threads_, endpoint, [this](asio::ip::tcp::socket&& socket) {
        // Made on the connection's own thread: everything a connection allocates then comes
        // from that thread's heap, instead of short-lived sessions made here leaving holes
        // between the long-lived pieces this thread allocates for every socket.
        auto executor = socket.get_executor();
        asio::post(executor, [this, socket = std::move(socket)]() mutable {
          std::make_shared<net::http_session>(std::move(socket), dispatcher_, limits_, lifecycle_,
                                              &io_threads_)
              ->start();
        });
      });
}

server::~server() { finish(); }

void server::run() {
  // Armed here rather than in the constructor: when the constructor throws (the port is
  // taken), finish() does not run, and a timer still on an I/O context would be destroyed after
  // the context it points into (io_threads_ is declared after thread_fanouts_).
  for (auto& fanout : thread_fanouts_) fanout->start_housekeeping(housekeeping_interval);
  io_threads_.start();
  request_threads_.start();
  listener_->start();
  if (config_.flush_interval.count() > 0) {
    next_tick_ = std::chrono::steady_clock::now();
    schedule_tick();
  }
  if (billing_) billing_->start();
  if (claims_) claims_->start();
  signals_.async_wait([this](const boost::system::error_code& error, int signal_number) {
    on_signal(error, signal_number);
  });
  spdlog::info("livechat serving on {}:{} with {} I/O threads and {} for requests ({})",
               config_.host, listener_->local_endpoint().port(), io_threads_.size(),
               request_threads_.size(),
               config_.cluster_mode() ? "cluster mode, Redis and PostgreSQL"
               : config_.database_url.starts_with("postgres") ? "one node, PostgreSQL"
                                                               : "embedded mode, SQLite");
  control_.run();
  // Operations cancelled on the way out (the billing client's request to a tenant that never
  // answered, say) still have their handlers queued: run them, so they release what they hold.
  control_.restart();
  control_.poll();
}

void server::schedule_tick() {
  // Fixed rate: a slow flush does not push every later tick back.
  next_tick_ += config_.flush_interval;
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    hub_.flush();
    schedule_tick();
  });
}

// A thread still busy with earlier ticks finds this tick's batches in its inbox, with those
// of the ticks before, when it gets to them: one pass, one write per connection.
void server::deliver(std::size_t thread_index, fanout::batch_list batches) {
  if (!inboxes_[thread_index]->add(std::move(batches))) return;
  asio::post(io_threads_.context(thread_index), [this, thread_index] {
    thread_fanouts_[thread_index]->deliver(inboxes_[thread_index]->take());
  });
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
    return end_streams();
  }
  drain_timer_.expires_after(drain_poll_interval);
  drain_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) wait_for_drain();
  });
}

void server::end_streams() {
  // Everything accepted is kept and delivered first; then each stream is told, after those
  // deliveries (posts to a thread run in order).
  tick_timer_.cancel();
  broker_->stop();
  hub_.flush();
  for (std::size_t index = 0; index < io_threads_.size(); ++index) {
    asio::post(io_threads_.context(index), [this, index] { thread_fanouts_[index]->shut_down_streams(); });
  }
  spdlog::info("telling {} streaming connections", delivery_.open_streams.load());
  drain_deadline_ = std::chrono::steady_clock::now() + stream_goodbye_timeout;
  wait_for_streams();
}

void server::wait_for_streams() {
  if (delivery_.open_streams.load() == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
    // Last, what was delivered is reported, so that no count is lost to the shutdown. In
    // cluster mode it is claimed in Redis first (each message once in the cluster), on the
    // broker's command connection: broker_->stop() in end_streams ended the deliveries, so
    // nothing is recorded after this round, and left that connection open for it; finish()
    // closes it. Only then does the reporter's last round take what the claims counted.
    if (!billing_) return control_.stop();
    auto report = [this] { billing_->stop(billing_flush_timeout, [this] { control_.stop(); }); };
    if (!claims_) return report();
    return claims_->stop(claims_flush_timeout, std::move(report));
  }
  drain_timer_.expires_after(drain_poll_interval);
  drain_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) wait_for_streams();
  });
}

void server::finish() {
  // What was accepted is kept and handed to the hub before anything stops; then connections
  // (their handlers may still post to the workers), then the workers, which may still be
  // reading the store.
  broker_->stop();
  // Cluster mode: the command connection that outlived stop() for the last billing claims.
  if (opened_broker_.redis != nullptr) opened_broker_.redis->close_connections();
  hub_.flush();
  request_threads_.stop();
  io_threads_.stop();
  for (auto& fanout : thread_fanouts_) fanout->stop_housekeeping();
  hashing_.join();
  workers_.join();
  // Last the saver, which finishes its batch under way: stored and acknowledged, or left
  // pending for the next saver.
  saver_.reset();
}

}  // namespace livechat::app
