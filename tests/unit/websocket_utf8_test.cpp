#include "net/websocket/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace livechat::net::websocket {
namespace {

TEST(WebSocketUtf8Test, AcceptsWellFormedText) {
  for (std::string_view good :
       {"", "plain ASCII that is longer than eight bytes", "\xC3\xA9", "\xE2\x82\xAC",
        "\xF0\x9F\x98\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xF4\x8F\xBF\xBF",
        "mixed \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 text"}) {
    EXPECT_TRUE(is_valid_utf8(good)) << good;
  }
  EXPECT_TRUE(is_valid_utf8(std::string_view("\0", 1)));
}

TEST(WebSocketUtf8Test, RefusesMalformedText) {
  for (std::string_view bad :
       {"\x80", "\xBF", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF",  // overlong
        "\xED\xA0\x80", "\xED\xBF\xBF",                                              // surrogates
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xFE",                      // too high
        "\xC3", "\xE2\x82", "\xF0\x9F\x98",                                          // truncated
        "\xC3\x28", "\xE2\x28\xAC", "\xF0\x9F\x28\x80",  // bad continuation
        "eight ok\xC3"}) {
    EXPECT_FALSE(is_valid_utf8(bad)) << testing::PrintToString(std::string(bad));
  }
}

TEST(WebSocketUtf8Test, PrefixNeverCutsACharacter) {
  const std::string text =
      "ab\xE2\x82\xAC"
      "c";  // a b € c
  EXPECT_EQ(utf8_prefix(text, 10), text);
  EXPECT_EQ(utf8_prefix(text, 6), text);
  EXPECT_EQ(utf8_prefix(text, 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(utf8_prefix(text, 4), "ab");
  EXPECT_EQ(utf8_prefix(text, 3), "ab");
  EXPECT_EQ(utf8_prefix(text, 2), "ab");
  EXPECT_EQ(utf8_prefix(text, 0), "");
}

}  // namespace
}  // namespace livechat::net::websocket
