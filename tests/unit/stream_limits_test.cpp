#include "sessions/stream_limits.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "model/client_error.hpp"

namespace livechat::sessions {
namespace {

using model::client_errc;
using model::client_error;

client_errc refusal_of(auto&& admit) {
  try {
    admit();
  } catch (const client_error& error) {
    return error.errc();
  }
  ADD_FAILURE() << "admitted past the limit";
  return client_errc::internal;
}

// MAX_STREAMS: the node's places are taken and given back; past them, UNAVAILABLE at once.
TEST(StreamLimitsTest, NodeWidePlacesAreBoundedAndComeBack) {
  stream_limits limits(0, 0, 2);
  std::vector<stream_limits::ticket> held;
  held.push_back(limits.admit_stream());
  held.push_back(limits.admit_stream());
  EXPECT_EQ(limits.streams(), 2u);
  EXPECT_EQ(refusal_of([&] { limits.admit_stream(); }), client_errc::unavailable);
  EXPECT_EQ(limits.streams(), 2u);  // a refusal takes nothing
  held.pop_back();
  EXPECT_EQ(limits.streams(), 1u);
  held.push_back(limits.admit_stream());
  EXPECT_EQ(limits.streams(), 2u);
}

// A session's listeners are counted with no limit set (usage reporting reads the count), and
// nothing is left of the session once its last listener is gone.
TEST(StreamLimitsTest, ViewersAreCountedWithoutALimitAndForgotten) {
  stream_limits limits(0, 0, 10);
  EXPECT_FALSE(limits.has_viewers("s"));
  std::optional<stream_limits::ticket> first(limits.admit_viewer("s"));
  std::optional<stream_limits::ticket> second(limits.admit_viewer("s"));
  EXPECT_TRUE(first->held());
  EXPECT_TRUE(limits.has_viewers("s"));
  first.reset();
  EXPECT_TRUE(limits.has_viewers("s"));
  second.reset();
  EXPECT_FALSE(limits.has_viewers("s"));
}

TEST(StreamLimitsTest, ViewerLimitStillApplies) {
  stream_limits limits(1, 0, 10);
  const auto only = limits.admit_viewer("s");
  EXPECT_EQ(refusal_of([&] { limits.admit_viewer("s"); }), client_errc::unavailable);
  const auto other = limits.admit_viewer("t");
  EXPECT_TRUE(limits.has_viewers("t"));
}

}  // namespace
}  // namespace livechat::sessions
