#pragma once
// `serve --with-saver`: one saver on a thread of its own inside the server's process, for
// small setups; the same saver as `livechat saver`, with its own connections to Redis and the
// database, without its HTTP port: the node's /metrics shows its figures (docs/cluster.md).

#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <thread>

#include "redis/connection_stats.hpp"
#include "redis/redis_config.hpp"
#include "saver/saver_service.hpp"
#include "saver/saver_stats.hpp"
#include "store/store.hpp"

namespace livechat::saver {

class background_saver {
 public:
  /// Starts saving from Redis into `database` (the saver's own store) on a new thread.
  background_saver(const redis::redis_config& redis, std::unique_ptr<store::store> database,
                   saver_options options);

  /// Finishes the batch under way (stored and acknowledged, or left pending) and joins the
  /// thread.
  ~background_saver();
  background_saver(const background_saver&) = delete;
  background_saver& operator=(const background_saver&) = delete;

  /// The saver's counters and its Redis connection's (any thread), for the node's /metrics.
  const saver_stats& stats() const { return service_->stats(); }
  const redis::connection_stats& redis_stats() const { return service_->redis_stats(); }

 private:
  std::unique_ptr<store::store> database_;
  boost::asio::io_context context_;
  std::optional<saver_service> service_;
  std::thread thread_;
};

}  // namespace livechat::saver
