#include "app/broker_factory.hpp"

#include <fmt/format.h>

#include "broker/memory_broker.hpp"
#include "broker/redis_broker.hpp"
#include "redis/stats_text.hpp"

namespace livechat::app {

namespace {

// Chat Sync's raw publishes (SPEC 6): handed to listeners, and dropped (docs/cluster.md).
void append_raw_metrics(std::string& out, std::uint64_t delivered, std::uint64_t dropped) {
  fmt::format_to(std::back_inserter(out),
                 "# HELP livechat_raw_messages_total Raw Chat Sync payloads published on a "
                 "session's channel and handed to its listeners.\n"
                 "# TYPE livechat_raw_messages_total counter\nlivechat_raw_messages_total {}\n"
                 "# HELP livechat_raw_messages_dropped_total Raw Chat Sync payloads dropped: not "
                 "UTF-8, or too large.\n"
                 "# TYPE livechat_raw_messages_dropped_total counter\n"
                 "livechat_raw_messages_dropped_total {}\n",
                 delivered, dropped);
}

}  // namespace

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
  if (!config.cluster_mode()) return {std::make_unique<broker::memory_broker>(store, sink), {}, {}};
  auto made = std::make_unique<broker::redis_broker>(redis_config_of(config), config.history_size,
                                                     config.max_message_length, store, sink);
  const broker::redis_broker& stats = *made;
  auto commands = made->commands();
  return {std::move(made),
          [&stats](std::string& out) {
            redis::append_redis_metrics(out, stats.command_stats(), stats.subscriber_stats());
            append_raw_metrics(out, stats.raw_messages(), stats.raw_dropped());
          },
          std::move(commands)};
}

}  // namespace livechat::app
