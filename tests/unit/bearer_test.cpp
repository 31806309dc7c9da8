#include "auth/bearer.hpp"

#include <gtest/gtest.h>

#include "model/text.hpp"

namespace livechat::auth {
namespace {

TEST(TrimBlanksTest, DropsSpacesAndTabsAtEitherEndOnly) {
  EXPECT_EQ(model::trim_blanks(" \t a b \t"), "a b");
  EXPECT_EQ(model::trim_blanks("ab"), "ab");
  EXPECT_EQ(model::trim_blanks(" \t "), "");
  EXPECT_EQ(model::trim_blanks(""), "");
  EXPECT_EQ(model::trim_blanks("\na\r"), "\na\r");  // only HTTP's optional whitespace
}

TEST(BearerTest, TakesTheTokenAfterTheSchemeInAnyCase) {
  EXPECT_EQ(parse_bearer("Bearer abc.def"), "abc.def");
  EXPECT_EQ(parse_bearer("bearer abc"), "abc");
  EXPECT_EQ(parse_bearer("BEARER  abc \t"), "abc");
}

TEST(BearerTest, AnotherSchemeOrNoneIsNotABearer) {
  EXPECT_EQ(parse_bearer("Basic dXNlcg=="), std::nullopt);
  EXPECT_EQ(parse_bearer("Bearer"), std::nullopt);
  EXPECT_EQ(parse_bearer("Bearerabc"), std::nullopt);
  EXPECT_EQ(parse_bearer("abc.def"), std::nullopt);
  EXPECT_EQ(parse_bearer(""), std::nullopt);
}

TEST(BearerTest, TheSchemeWithoutATokenGivesAnEmptyOne) {
  EXPECT_EQ(parse_bearer("Bearer "), "");
  EXPECT_EQ(parse_bearer("Bearer   "), "");
}

}  // namespace
}  // namespace livechat::auth
