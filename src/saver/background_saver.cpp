#include "saver/background_saver.hpp"

#include <spdlog/spdlog.h>

namespace livechat::saver {

background_saver::background_saver(const redis::redis_config& redis, store::store& database,
                                   saver_options options) {
  service_.emplace(context_.get_executor(), redis, database, std::move(options));
  service_->start();
  // The saver's connection keeps the context busy until stop() closes it.
  thread_ = std::thread([this] { context_.run(); });
  spdlog::info("saver running in-process");
}

background_saver::~background_saver() {
  service_->stop(nullptr);
  thread_.join();
  service_.reset();
}

}  // namespace livechat::saver
