#include "saver/saver_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <csignal>

#include "net/http_session.hpp"
#include "net/io_context_pool.hpp"
#include "net/listener.hpp"
#include "net/server_lifecycle.hpp"
#include "redis/key_layout.hpp"
#include "saver/saver_endpoints.hpp"
#include "saver/saver_service.hpp"

namespace livechat::saver {

namespace asio = boost::asio;

int run_saver_process(const saver_process_options& options, store::store& database) {
  // The main thread runs the saver, its Redis connections, accepting and the signals; one I/O
  // thread serves the HTTP connections.
  asio::io_context control;
  saver_service service(control.get_executor(), options.redis, database, options.saver);

  redis::redis_config probe_config = options.redis;
  probe_config.client_name = "livechat-saver-probe";
  auto probe = redis::command_client::create(control.get_executor(), probe_config);
  saver_endpoints endpoints(service, database, probe);

  // Declared before the HTTP thread, whose connections refer to them until it is gone.
  net::http_limits limits;
  net::server_lifecycle lifecycle;
  net::io_context_pool http_thread(1);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options.host), options.port);
  auto listener = std::make_shared<net::listener>(
      control, http_thread, endpoint, [&](asio::ip::tcp::socket&& socket) {
        auto executor = socket.get_executor();
        asio::post(executor, [&, socket = std::move(socket)]() mutable {
          std::make_shared<net::http_session>(std::move(socket), endpoints, limits, lifecycle)->start();
        });
      });

  asio::signal_set signals(control, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("signal {} received: finishing the batch under way", signal_number);
    listener->stop();
    // Once the batch is in and both connections are closed, `control` runs out of work.
    service.stop([&] { probe->close(); });
  });

  http_thread.start();
  probe->start();
  service.start();
  listener->start();
  spdlog::info("livechat saver on {}:{} (consumer {}), reading {} shards' hand-off streams",
               options.host, listener->local_endpoint().port(), options.saver.consumer,
               redis::shard_count);
  control.run();
  http_thread.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace livechat::saver
