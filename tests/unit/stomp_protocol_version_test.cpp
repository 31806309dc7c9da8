#include "protocol/stomp/protocol_version.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace livechat::stomp {
namespace {

TEST(StompProtocolVersionTest, PicksTheHighestVersionBothSpeak) {
  EXPECT_EQ(negotiate_version("1.2,1.1,1.0"), protocol_version::v1_2);  // stompjs
  EXPECT_EQ(negotiate_version("1.1,1.2"), protocol_version::v1_2);      // Spring
  EXPECT_EQ(negotiate_version("1.0,1.1"), protocol_version::v1_1);
  EXPECT_EQ(negotiate_version("1.0"), protocol_version::v1_0);
  EXPECT_EQ(negotiate_version(" 1.1 , 2.0,1.0"), protocol_version::v1_1);
  EXPECT_EQ(negotiate_version("3.0,1.2"), protocol_version::v1_2);
}

TEST(StompProtocolVersionTest, NoHeaderMeansStomp10) {
  EXPECT_EQ(negotiate_version(std::nullopt), protocol_version::v1_0);
}

TEST(StompProtocolVersionTest, NoCommonVersionIsNone) {
  for (const std::string_view offered : {"", "2.0", "1.3,2.0", "1.2.0", "12", ",", "1.2;1.1", "v1.2"}) {
    EXPECT_EQ(negotiate_version(offered), std::nullopt) << offered;
  }
}

TEST(StompProtocolVersionTest, WritesVersionsAsTheHeadersDo) {
  EXPECT_EQ(to_string(protocol_version::v1_0), "1.0");
  EXPECT_EQ(to_string(protocol_version::v1_1), "1.1");
  EXPECT_EQ(to_string(protocol_version::v1_2), "1.2");
}

}  // namespace
}  // namespace livechat::stomp
