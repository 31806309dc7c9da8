#include <gtest/gtest.h>

#include <set>

#include "model/client_error.hpp"
#include "model/ids.hpp"
#include "model/time.hpp"
#include "model/validation.hpp"

namespace livechat::model {
namespace {

TEST(UuidTest, NewUuidsAreCanonicalVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_uuid();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(parse_uuid(id), id);
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UuidTest, ParseCanonicalizesCaseAndRefusesMalformed) {
  EXPECT_EQ(parse_uuid("0E8B6F3A-1C2D-4E5F-8A9B-0C1D2E3F4A5B"),
            "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
  for (const char* bad : {"", "not-a-uuid", "0e8b6f3a1c2d4e5f8a9b0c1d2e3f4a5b",
                          "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5", "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5bb",
                          "0e8b6f3a-1c2d-4e5f-8a9b_0c1d2e3f4a5b", "0e8b6f3g-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
                          "{e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5}"}) {
    EXPECT_EQ(parse_uuid(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_uuid(std::string_view("0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5\0", 36)), std::nullopt);
}

TEST(RandomHexTest, HasTheAskedLength) {
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_NE(random_hex(16), random_hex(16));
}

TEST(TimeTest, FormatsRfc3339WithMilliseconds) {
  EXPECT_EQ(format_rfc3339(from_epoch_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(from_epoch_ms(1778454660123)), "2026-05-10T23:11:00.123Z");
  EXPECT_EQ(to_epoch_ms(from_epoch_ms(1778454660123)), 1778454660123);
  // Past 2262, where the system clock's nanoseconds overflow (UBSan caught it in a fuzzer).
  EXPECT_EQ(format_rfc3339(from_epoch_ms(253'402'300'799'999)), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("7950-05-10T23:11:00.456Z")), "7950-05-10T23:11:00.456Z");
}

TEST(TimeTest, ParsesWhatItFormatsAndNothingElse) {
  for (std::int64_t ms : {0LL, 1778454660123LL, 951782400999LL /* 2000-02-29 */}) {
    EXPECT_EQ(parse_rfc3339(format_rfc3339(from_epoch_ms(ms))), from_epoch_ms(ms));
  }
  for (std::string_view bad : {"", "2026-05-10T23:11:00Z", "2026-05-10T23:11:00.123+01:00",
                               "2026-05-10 23:11:00.123Z", "2026-02-30T23:11:00.123Z",
                               "2026-05-10T24:00:00.000Z", "2026-13-10T23:11:00.123Z",
                               "2026-05-1xT23:11:00.123Z", "-026-05-10T23:11:00.123Z"}) {
    EXPECT_EQ(parse_rfc3339(bad), std::nullopt) << bad;
  }
}

TEST(ValidationTest, UserIds) {
  EXPECT_TRUE(is_valid_user_id("abc"));
  EXPECT_TRUE(is_valid_user_id("User_1.name-x"));
  EXPECT_TRUE(is_valid_user_id(std::string(32, 'a')));
  EXPECT_FALSE(is_valid_user_id("ab"));
  EXPECT_FALSE(is_valid_user_id(std::string(33, 'a')));
  EXPECT_FALSE(is_valid_user_id("has space"));
  EXPECT_FALSE(is_valid_user_id("emoji\xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_user_id(std::string_view("nul\0byte", 8)));
}

TEST(ValidationTest, PasswordsCountBytes) {
  EXPECT_FALSE(is_valid_user_password("1234567"));
  EXPECT_TRUE(is_valid_user_password("12345678"));
  EXPECT_TRUE(is_valid_user_password(std::string(128, 'x')));
  EXPECT_FALSE(is_valid_user_password(std::string(129, 'x')));
}

TEST(ValidationTest, Utf8LengthCountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("\xC3\xA9"), 1u);            // é
  EXPECT_EQ(utf8_length("\xE2\x82\xAC"), 1u);        // €
  EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80!"), 2u);   // 😀!
}

TEST(ValidationTest, VisibleText) {
  EXPECT_FALSE(has_visible_text(""));
  EXPECT_FALSE(has_visible_text(" \t\r\n"));
  EXPECT_TRUE(has_visible_text(" a "));
  // Unicode white space: ideographic space, em space, no-break space, line separator.
  EXPECT_FALSE(has_visible_text("\xE3\x80\x80\xE2\x80\x83 \xC2\xA0\xE2\x80\xA8"));
  EXPECT_TRUE(has_visible_text("\xE3\x80\x80\xE4\xBD\xA0\xE3\x80\x80"));  // 你 between spaces
  EXPECT_TRUE(has_visible_text("\xF0\x9F\x98\x80"));                       // 😀
  EXPECT_TRUE(has_visible_text("\xC3\xA9"));                                // é
}

TEST(ValidationTest, NoNul) {
  using namespace std::string_view_literals;
  EXPECT_TRUE(has_no_nul(""));
  EXPECT_TRUE(has_no_nul("caf\xC3\xA9"));
  EXPECT_FALSE(has_no_nul("a\0b"sv));
  EXPECT_FALSE(has_no_nul("\0"sv));
}

TEST(ClientErrorTest, EveryErrorHasTheContractsStatusAndCode) {
  EXPECT_EQ(http_status(client_errc::validation_error), 400);
  EXPECT_EQ(error_code(client_errc::validation_error), "VALIDATION_ERROR");
  EXPECT_EQ(http_status(client_errc::invalid_credentials), 401);
  EXPECT_EQ(http_status(client_errc::wrong_password), 403);
  EXPECT_EQ(error_code(client_errc::room_closed), "ROOM_CLOSED");
  EXPECT_EQ(http_status(client_errc::already_joined), 409);
  EXPECT_EQ(http_status(client_errc::payload_too_large), 413);
  EXPECT_EQ(error_code(client_errc::payload_too_large), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(http_status(client_errc::headers_too_large), 431);
  EXPECT_EQ(http_status(client_errc::rate_limited), 429);
  EXPECT_EQ(http_status(client_errc::unavailable), 503);
  EXPECT_EQ(http_status(client_errc::internal), 500);
}

}  // namespace
}  // namespace livechat::model
