#include "saver/background_saver.hpp"

#include <spdlog/spdlog.h>

namespace livechat::saver {

background_saver::background_saver(const redis::redis_config& redis,
                                   std::unique_ptr<store::store> database, saver_options options)
    : database_(std::move(database)) {
  service_.emplace(context_.get_executor(), redis, *database_, std::move(options));
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
