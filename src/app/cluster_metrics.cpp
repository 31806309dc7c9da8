#include "app/cluster_metrics.hpp"

#include <vector>

#include "redis/stats_text.hpp"
#include "saver/saver_metrics.hpp"

namespace livechat::app {

api::metrics_appender cluster_metrics(broker::redis_broker& broker,
                                      const saver::background_saver* saver) {
  return [&broker, saver](std::string text, std::function<void(std::string)> done) {
    broker.read_saver_lag([&broker, saver, text = std::move(text), done = std::move(done)](
                              std::optional<std::uint64_t> lag) mutable {
      std::vector<redis::named_connection> connections = {
          {"command", broker.command_stats()}, {"subscriber", broker.subscriber_stats()}};
      if (saver != nullptr) connections.push_back({"saver", saver->redis_stats()});
      redis::append_redis_metrics(text, connections, broker.command_stats());
      saver::append_lag(text, lag);
      if (saver != nullptr) saver::append_counters(text, saver->stats());
      done(std::move(text));
    });
  };
}

}  // namespace livechat::app
