#pragma once
// Picks the broker the settings name: embedded mode's memory_broker, or cluster mode's
// redis_broker when REDIS_HOST / REDIS_IP / REDIS_URL is set.

#include <memory>

#include "app/settings.hpp"
#include "broker/broker.hpp"
#include "broker/message_sink.hpp"
#include "redis/redis_config.hpp"
#include "store/store.hpp"

namespace livechat::broker {
class redis_broker;
}  // namespace livechat::broker

namespace livechat::app {

struct opened_broker {
  std::unique_ptr<broker::broker> broker;
  /// The same broker in cluster mode, for what only it has (its Redis figures); else null.
  broker::redis_broker* redis = nullptr;
};

/// The Redis server the settings name (REDIS_URL, else REDIS_HOST, REDIS_PORT,
/// REDIS_PASSWORD), for the broker and the saver alike. Throws settings_error for a REDIS_URL
/// it cannot read.
redis::redis_config redis_config_of(const settings& config);

/// The configured broker, keeping messages in `store` (embedded) or Redis (cluster, with
/// `store` below what Redis holds) and handing them to `sink`. Throws settings_error for a
/// REDIS_URL it cannot read.
opened_broker open_broker(const settings& config, store::store& store, broker::message_sink& sink);

}  // namespace livechat::app
