#include "saver/saver_service.hpp"

#include <boost/asio/post.hpp>

namespace livechat::saver {

saver_service::saver_service(boost::asio::any_io_executor executor, redis::redis_config redis,
                             store::store& database, saver_options options) {
  if (redis.client_name.empty()) redis.client_name = "livechat-saver";
  redis_ = redis::command_client::create(std::move(executor), std::move(redis));
  saver_ = saver::create(redis_, database, store_thread_.get_executor(), std::move(options));
}

saver_service::~saver_service() { store_thread_.join(); }

void saver_service::start() {
  boost::asio::post(redis_->get_executor(), [redis = redis_] { redis->start(); });
  saver_->start();
}

void saver_service::stop(std::function<void()> stopped) {
  saver_->stop([redis = redis_, stopped = std::move(stopped)] {
    redis->close();
    if (stopped) stopped();
  });
}

}  // namespace livechat::saver
