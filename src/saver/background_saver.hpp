#pragma once
// `serve --with-saver`: one saver on a thread of its own inside the server's process, for
// small setups; the same saver as `livechat saver`, without its HTTP port (the node's own
// /readyz and /metrics describe the node).

#include <boost/asio/io_context.hpp>

#include <optional>
#include <thread>

#include "redis/redis_config.hpp"
#include "saver/saver_service.hpp"
#include "store/store.hpp"

namespace livechat::saver {

class background_saver {
 public:
  /// Starts saving from Redis into `database` (which must outlive this) on a new thread.
  background_saver(const redis::redis_config& redis, store::store& database, saver_options options);

  /// Finishes the batch under way and joins the thread.
  ~background_saver();
  background_saver(const background_saver&) = delete;
  background_saver& operator=(const background_saver&) = delete;

 private:
  boost::asio::io_context context_;
  std::optional<saver_service> service_;
  std::thread thread_;
};

}  // namespace livechat::saver
