#include "app/broker_factory.hpp"

#include "broker/memory_broker.hpp"
#include "broker/redis_broker.hpp"

namespace livechat::app {

redis::redis_config redis_config_of(const settings& config) {
  if (!config.redis_url.empty()) {
    std::string error;
    auto parsed = redis::parse_redis_url(config.redis_url, error);
    if (!parsed) throw settings_error("REDIS_URL: " + error);
    return *parsed;
  }
  redis::redis_config parsed;
  parsed.host = config.redis_host;
  parsed.port = config.redis_port;
  parsed.password = config.redis_password;
  return parsed;
}

opened_broker open_broker(const settings& config, store::store& store, broker::message_sink& sink) {
  if (!config.cluster_mode()) return {std::make_unique<broker::memory_broker>(store, sink)};
  auto made = std::make_unique<broker::redis_broker>(redis_config_of(config), config.history_size,
                                                     config.max_message_length, store, sink);
  broker::redis_broker* redis = made.get();
  return {std::move(made), redis};
}

}  // namespace livechat::app
