#include "rooms/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace livechat::rooms {
namespace {

using namespace std::chrono_literals;

// A fixed origin far from the clock's epoch, so that tests never depend on the real time.
const rate_limiter::clock::time_point t0 = rate_limiter::clock::time_point{} + 1000h;

TEST(RateLimiterTest, BurstThenRefusal) {
  rate_limiter limiter(1, 3);
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 1, t0));
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 1, t0));
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 1, t0));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 1, t0));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 1, t0 + 999ms));
}

TEST(RateLimiterTest, RefillsContinuouslyOverTime) {
  rate_limiter limiter(10, 2);  // one token every 100 ms
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 2, t0));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 1, t0 + 50ms));
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 1, t0 + 100ms));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 1, t0 + 150ms));
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 1, t0 + 200ms));
}

TEST(RateLimiterTest, RefillStopsAtTheBurst) {
  rate_limiter limiter(1, 3);
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 3, t0));
  // An hour of silence earns three tokens, not 3600.
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 3, t0 + 1h));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 1, t0 + 1h));
}

TEST(RateLimiterTest, RefusalTakesNothing) {
  rate_limiter limiter(1, 3);
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 1, t0));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 3, t0));  // two left
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 2, t0));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 1, t0));
}

TEST(RateLimiterTest, MoreThanTheBurstIsNeverGranted) {
  rate_limiter limiter(1, 3);
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 4, t0));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 4, t0 + 1h));
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 3, t0 + 1h));
}

TEST(RateLimiterTest, EachUserAndRoomHasItsOwnBucket) {
  rate_limiter limiter(1, 1);
  EXPECT_TRUE(limiter.try_acquire("alice", "room-1", 1, t0));
  EXPECT_FALSE(limiter.try_acquire("alice", "room-1", 1, t0));
  EXPECT_TRUE(limiter.try_acquire("alice", "room-2", 1, t0));
  EXPECT_TRUE(limiter.try_acquire("bob", "room-1", 1, t0));
  // Keys are not mere concatenations: ("ab", "c") is not ("a", "bc").
  EXPECT_TRUE(limiter.try_acquire("ab", "c", 1, t0));
  EXPECT_TRUE(limiter.try_acquire("a", "bc", 1, t0));
}

TEST(RateLimiterTest, SweepForgetsRefilledBucketsOnly) {
  rate_limiter limiter(1, 100);
  for (int user = 0; user < 100; ++user) {
    EXPECT_TRUE(limiter.try_acquire("user-" + std::to_string(user), "room", 1, t0));
  }
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 100, t0 + 59s));  // alice's bucket: empty
  EXPECT_EQ(limiter.bucket_count(), 101u);

  // Over a minute after the last sweep, the next call sweeps: the users' buckets have refilled,
  // alice's holds 2 tokens of 100 and stays.
  EXPECT_TRUE(limiter.try_acquire("bob", "room", 1, t0 + 61s));
  EXPECT_EQ(limiter.bucket_count(), 2u);  // alice and bob
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 2, t0 + 61s));
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 1, t0 + 61s));
}

TEST(RateLimiterTest, SweepKeepsABucketThatNeverRefills) {
  rate_limiter limiter(0, 1);  // burst only
  EXPECT_TRUE(limiter.try_acquire("alice", "room", 1, t0));
  EXPECT_TRUE(limiter.try_acquire("bob", "room", 1, t0 + 1h));  // sweeps
  EXPECT_FALSE(limiter.try_acquire("alice", "room", 1, t0 + 2h));
}

}  // namespace
}  // namespace livechat::rooms
