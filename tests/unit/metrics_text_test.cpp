// The Prometheus text of cluster mode's figures: the Redis connections (redis/stats_text) and
// the saver's (saver/saver_metrics), as a node and `livechat saver` put them together.

#include "redis/stats_text.hpp"
#include "saver/saver_metrics.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace livechat {
namespace {

std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST(MetricsTextTest, OneFamilyPerRedisFigureWithOneSeriesPerConnection) {
  redis::connection_stats commands;
  redis::connection_stats subscriber;
  redis::connection_stats saver;
  commands.connected = true;
  saver.reconnects = 3;
  const std::array<redis::named_connection, 3> connections = {
      redis::named_connection{"command", commands}, redis::named_connection{"subscriber", subscriber},
      redis::named_connection{"saver", saver}};
  std::string text;
  redis::append_redis_metrics(text, connections, commands);

  // Prometheus refuses a family declared twice: the saver's connection joins the node's.
  EXPECT_EQ(occurrences(text, "# TYPE livechat_redis_reconnects_total counter\n"), 1u);
  EXPECT_EQ(occurrences(text, "# TYPE livechat_redis_connected gauge\n"), 1u);
  EXPECT_NE(text.find("livechat_redis_reconnects_total{connection=\"saver\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("livechat_redis_connected{connection=\"command\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("livechat_redis_connected{connection=\"subscriber\"} 0\n"), std::string::npos);
  EXPECT_EQ(occurrences(text, "livechat_redis_command_seconds_count 0\n"), 1u);
}

TEST(MetricsTextTest, TheLagOnlyWhenRedisAnswered) {
  std::string text;
  saver::append_lag(text, std::nullopt);
  EXPECT_EQ(text, "");
  saver::append_lag(text, 42);
  EXPECT_NE(text.find("# TYPE livechat_saver_lag gauge\nlivechat_saver_lag 42\n"), std::string::npos);
}

TEST(MetricsTextTest, TheStandaloneSaverShowsItsCountersAndReconnects) {
  saver::saver_stats stats;
  stats.messages_saved = 7;
  stats.batches = 2;
  const std::string text = saver::render_metrics(stats, 1, 5);
  for (std::string_view line :
       {"livechat_saver_lag 5\n", "livechat_saver_messages_saved_total 7\n",
        "livechat_saver_batches_total 2\n", "livechat_saver_entries_claimed_total 0\n",
        "livechat_saver_unreadable_entries_total 0\n", "livechat_saver_failures_total 0\n",
        "livechat_redis_reconnects_total 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(saver::render_metrics(stats, 1, std::nullopt).find("livechat_saver_lag"), std::string::npos);
}

}  // namespace
}  // namespace livechat
