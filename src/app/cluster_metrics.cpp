#include "app/cluster_metrics.hpp"

#include <fmt/format.h>

#include <iterator>
#include <vector>

#include "redis/stats_text.hpp"
#include "saver/saver_metrics.hpp"

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

api::metrics_appender cluster_metrics(broker::redis_broker& broker,
                                      const saver::background_saver* saver) {
  return [&broker, saver](std::string text, std::function<void(std::string)> done) {
    broker.read_saver_lag([&broker, saver, text = std::move(text), done = std::move(done)](
                              std::optional<std::uint64_t> lag) mutable {
      std::vector<redis::named_connection> connections = {
          {"command", broker.command_stats()}, {"subscriber", broker.subscriber_stats()}};
      if (saver != nullptr) connections.push_back({"saver", saver->redis_stats()});
      redis::append_redis_metrics(text, connections, broker.command_stats());
      append_raw_metrics(text, broker.raw_messages(), broker.raw_dropped());
      saver::append_lag(text, lag);
      if (saver != nullptr) saver::append_counters(text, saver->stats());
      done(std::move(text));
    });
  };
}

}  // namespace livechat::app
