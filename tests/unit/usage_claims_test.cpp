#include "billing/usage_claims.hpp"

#include <gtest/gtest.h>

namespace livechat::billing {
namespace {

using ranges = std::vector<std::pair<std::int64_t, std::int64_t>>;

TEST(delivery_tally, consecutive_batches_make_one_range) {
  delivery_tally tally;
  tally.add_ids(1, 3);
  tally.add_ids(4, 4);
  tally.add_ids(5, 9);
  EXPECT_EQ(tally.ranges, (ranges{{1, 9}}));
  EXPECT_EQ(tally.ids(), 9u);
}

TEST(delivery_tally, a_gap_starts_a_range_and_filling_it_joins_them) {
  delivery_tally tally;
  tally.add_ids(1, 3);
  tally.add_ids(10, 12);  // the node stopped listening, then came back
  EXPECT_EQ(tally.ranges, (ranges{{1, 3}, {10, 12}}));
  tally.add_ids(20, 20);
  tally.add_ids(5, 6);
  EXPECT_EQ(tally.ranges, (ranges{{1, 3}, {5, 6}, {10, 12}, {20, 20}}));
  tally.add_ids(4, 11);  // overlaps and bridges three of them
  EXPECT_EQ(tally.ranges, (ranges{{1, 12}, {20, 20}}));
  tally.add_ids(2, 2);  // inside: nothing changes
  EXPECT_EQ(tally.ranges, (ranges{{1, 12}, {20, 20}}));
}

TEST(delivery_tally, raw_messages_add_no_range_and_share_a_bucket_per_10_ms) {
  delivery_tally tally;
  tally.add_ids(0, 0);
  for (const std::int64_t arrival : {1000, 1003, 1009, 1010, 1035, 1039}) tally.add_raw(arrival);
  EXPECT_TRUE(tally.ranges.empty());
  ASSERT_EQ(tally.raw.size(), 3u);
  EXPECT_EQ(tally.raw[0].time_ms, 1000);
  EXPECT_EQ(tally.raw[0].count, 3u);
  EXPECT_EQ(tally.raw[1].time_ms, 1010);
  EXPECT_EQ(tally.raw[1].count, 1u);
  EXPECT_EQ(tally.raw[2].time_ms, 1030);
  EXPECT_EQ(tally.raw[2].count, 2u);
  EXPECT_EQ(tally.raw_messages(), 6u);
}

}  // namespace
}  // namespace livechat::billing
