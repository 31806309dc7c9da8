#pragma once
// One saver with what it runs on: its Redis connection and the thread its database calls run
// on. `livechat saver` and `serve --with-saver` both build one of these.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>

#include "redis/command_client.hpp"
#include "redis/redis_config.hpp"
#include "saver/saver.hpp"
#include "store/store.hpp"

namespace livechat::saver {

class saver_service {
 public:
  /// Connects to Redis on `executor` (an io_context run by one thread) and saves into
  /// `database`, which must outlive this. Nothing runs before start().
  saver_service(boost::asio::any_io_executor executor, redis::redis_config redis,
                store::store& database, saver_options options);

  /// Joins the database thread (after stop() finished, it has nothing left to do).
  ~saver_service();
  saver_service(const saver_service&) = delete;
  saver_service& operator=(const saver_service&) = delete;

  void start();

  /// Finishes the batch under way, closes the Redis connection, then calls `stopped` on the
  /// executor. Any thread.
  void stop(std::function<void()> stopped);

  const saver_stats& stats() const { return saver_->stats(); }
  const redis::connection_stats& redis_stats() const { return redis_->stats(); }

 private:
  boost::asio::thread_pool store_thread_{1};
  std::shared_ptr<redis::command_client> redis_;
  std::shared_ptr<saver> saver_;
};

}  // namespace livechat::saver
