#include "redis/redis_config.hpp"

#include <gtest/gtest.h>

#include "redis/key_layout.hpp"

namespace livechat::redis {
namespace {

TEST(RedisUrl, ReadsHostPortUserPasswordAndDatabase) {
  std::string error;
  auto config = parse_redis_url("redis://alice:s%3Acret@cache.internal:6380/3", error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->host, "cache.internal");
  EXPECT_EQ(config->port, 6380);
  EXPECT_EQ(config->username, "alice");
  EXPECT_EQ(config->password, "s:cret");
  EXPECT_EQ(config->database, 3);
}

TEST(RedisUrl, APasswordAloneIsTheDefaultUsers) {
  std::string error;
  auto with_colon = parse_redis_url("redis://:pw@localhost", error);
  ASSERT_TRUE(with_colon) << error;
  EXPECT_EQ(with_colon->username, "");
  EXPECT_EQ(with_colon->password, "pw");
  EXPECT_EQ(with_colon->port, 6379);
  EXPECT_EQ(with_colon->database, 0);
  auto bare = parse_redis_url("redis://pw@localhost/", error);
  ASSERT_TRUE(bare) << error;
  EXPECT_EQ(bare->username, "");
  EXPECT_EQ(bare->password, "pw");
}

TEST(RedisUrl, RefusesWhatIsNotARedisUrl) {
  std::string error;
  EXPECT_FALSE(parse_redis_url("http://localhost:6379", error));
  EXPECT_FALSE(parse_redis_url("redis://localhost:port", error));
  EXPECT_FALSE(parse_redis_url("redis://localhost:6379/db", error));
  EXPECT_FALSE(parse_redis_url("redis://localhost:99999", error));
  EXPECT_FALSE(parse_redis_url("localhost:6379", error));
  EXPECT_FALSE(error.empty());
}

TEST(RedisKeyLayout, EveryKeyOfARoomSharesOneHashTag) {
  auto keys = keys_for_room("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  int shard = shard_of("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  std::string tag = "{lc:" + std::to_string(shard) + "}:";
  for (const auto* key : {&keys.state, &keys.history, &keys.left, &keys.commits, &keys.handoff,
                          &keys.channel}) {
    EXPECT_TRUE(key->starts_with(tag)) << *key;
  }
  EXPECT_EQ(keys.handoff, handoff_key(shard));
}

TEST(RedisKeyLayout, ShardsAreFnv1aModuloTheShardCount) {
  // Stored data depends on these: FNV-1a 32 of "a" is 0xe40c292c, of "" 0x811c9dc5.
  EXPECT_EQ(shard_of("a"), static_cast<int>(0xe40c292cu % shard_count));
  EXPECT_EQ(shard_of(""), static_cast<int>(0x811c9dc5u % shard_count));
  EXPECT_EQ(history_entry_id(42), "42-0");
}

}  // namespace
}  // namespace livechat::redis
