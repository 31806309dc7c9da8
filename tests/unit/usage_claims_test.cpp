#include "billing/usage_claims.hpp"

#include <gtest/gtest.h>

namespace livechat::billing {
namespace {

using ranges = std::vector<std::pair<std::int64_t, std::int64_t>>;

TEST(delivery_tally, consecutive_batches_make_one_range) {
  delivery_tally tally;
  tally.add(1, 3, 0);
  tally.add(4, 4, 2);
  tally.add(5, 9, 1);
  EXPECT_EQ(tally.ranges, (ranges{{1, 9}}));
  EXPECT_EQ(tally.raw, 3u);
}

TEST(delivery_tally, a_gap_starts_a_range_and_filling_it_joins_them) {
  delivery_tally tally;
  tally.add(1, 3, 0);
  tally.add(10, 12, 0);  // the node stopped listening, then came back
  EXPECT_EQ(tally.ranges, (ranges{{1, 3}, {10, 12}}));
  tally.add(20, 20, 0);
  tally.add(5, 6, 0);
  EXPECT_EQ(tally.ranges, (ranges{{1, 3}, {5, 6}, {10, 12}, {20, 20}}));
  tally.add(4, 11, 0);  // overlaps and bridges three of them
  EXPECT_EQ(tally.ranges, (ranges{{1, 12}, {20, 20}}));
  tally.add(2, 2, 0);  // inside: nothing changes
  EXPECT_EQ(tally.ranges, (ranges{{1, 12}, {20, 20}}));
}

TEST(delivery_tally, raw_messages_only_add_no_range) {
  delivery_tally tally;
  tally.add(0, 0, 4);
  EXPECT_TRUE(tally.ranges.empty());
  EXPECT_EQ(tally.raw, 4u);
}

}  // namespace
}  // namespace livechat::billing
