#include "protocol/stomp/heart_beat.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace livechat::stomp {
namespace {

using std::chrono::milliseconds;

TEST(StompHeartBeatTest, ParsesTheHeaderOfStompjsAndSpring) {
  EXPECT_EQ(parse_heart_beat("10000,10000"), (heart_beat_offer{milliseconds(10000), milliseconds(10000)}));
  EXPECT_EQ(parse_heart_beat("0,0"), (heart_beat_offer{}));
  EXPECT_EQ(parse_heart_beat("0,500"), (heart_beat_offer{milliseconds(0), milliseconds(500)}));
  EXPECT_EQ(parse_heart_beat("4294967295,007"),
            (heart_beat_offer{milliseconds(4294967295), milliseconds(7)}));
}

TEST(StompHeartBeatTest, RefusesMalformedHeaders) {
  for (const std::string_view value : {"", ",", "10000", "10000,", ",10000", "1,2,3", "a,b", "-1,0",
                                  "+1,0", " 1,0", "1, 0", "1,0 ", "1.5,0", "4294967296,0",
                                  "0,99999999999", "0,00000000001"}) {
    EXPECT_EQ(parse_heart_beat(value), std::nullopt) << value;
  }
}

TEST(StompHeartBeatTest, WritesTheHeaderValue) {
  EXPECT_EQ(to_header_value({milliseconds(10000), milliseconds(0)}), "10000,0");
  const heart_beat_offer offer{milliseconds(25), milliseconds(4000)};
  EXPECT_EQ(parse_heart_beat(to_header_value(offer)), offer);
}

TEST(StompHeartBeatTest, NegotiatesTheSlowerOfWhatOneCanAndTheOtherWants) {
  const heart_beat_offer server{milliseconds(10000), milliseconds(10000)};
  // The specification's rule: each direction runs at the larger of its two numbers.
  EXPECT_EQ(negotiate_heart_beat({milliseconds(4000), milliseconds(20000)}, server),
            (heart_beat_intervals{milliseconds(20000), milliseconds(10000)}));
  EXPECT_EQ(negotiate_heart_beat({milliseconds(30000), milliseconds(5000)}, server),
            (heart_beat_intervals{milliseconds(10000), milliseconds(30000)}));
  EXPECT_EQ(negotiate_heart_beat({milliseconds(10000), milliseconds(10000)}, server),
            (heart_beat_intervals{milliseconds(10000), milliseconds(10000)}));
}

TEST(StompHeartBeatTest, AZeroOnEitherSideTurnsThatDirectionOff) {
  const heart_beat_offer server{milliseconds(10000), milliseconds(10000)};
  EXPECT_EQ(negotiate_heart_beat({}, server), (heart_beat_intervals{}));
  // The client cannot send: nothing to expect from it; it still wants ours.
  EXPECT_EQ(negotiate_heart_beat({milliseconds(0), milliseconds(5000)}, server),
            (heart_beat_intervals{milliseconds(10000), milliseconds(0)}));
  // The client wants none: we send none; it still sends.
  EXPECT_EQ(negotiate_heart_beat({milliseconds(5000), milliseconds(0)}, server),
            (heart_beat_intervals{milliseconds(0), milliseconds(10000)}));
  // A server that neither sends nor expects.
  EXPECT_EQ(negotiate_heart_beat({milliseconds(5000), milliseconds(5000)}, {}),
            (heart_beat_intervals{}));
  // A server that sends but does not expect.
  EXPECT_EQ(negotiate_heart_beat({milliseconds(5000), milliseconds(5000)},
                                 {milliseconds(1000), milliseconds(0)}),
            (heart_beat_intervals{milliseconds(5000), milliseconds(0)}));
}

}  // namespace
}  // namespace livechat::stomp
