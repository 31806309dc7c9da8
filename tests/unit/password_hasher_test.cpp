#include "auth/password_hasher.hpp"

#include <gtest/gtest.h>

#include <string>

namespace livechat::auth {
namespace {

using namespace std::string_literals;

TEST(password_hasher, verifies_the_password_it_hashed) {
  const std::string hash = hash_password("correct horse battery staple");
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$")) << hash;
  EXPECT_TRUE(verify_password("correct horse battery staple", hash));
}

TEST(password_hasher, refuses_a_wrong_password) {
  const std::string hash = hash_password("correct horse battery staple");
  EXPECT_FALSE(verify_password("correct horse battery stapler", hash));
  EXPECT_FALSE(verify_password("correct horse battery stapl", hash));
  EXPECT_FALSE(verify_password("", hash));
}

TEST(password_hasher, salts_every_hash) {
  const std::string first = hash_password("same password");
  const std::string second = hash_password("same password");
  EXPECT_NE(first, second);
  EXPECT_TRUE(verify_password("same password", first));
  EXPECT_TRUE(verify_password("same password", second));
}

// Passwords arrive as JSON strings, which may hold NUL: every byte counts.
TEST(password_hasher, hashes_every_byte_including_nul) {
  const std::string password = "abc\0def"s;
  const std::string hash = hash_password(password);
  EXPECT_TRUE(verify_password(password, hash));
  EXPECT_FALSE(verify_password("abc", hash));
  EXPECT_FALSE(verify_password("abc\0deg"s, hash));
}

TEST(password_hasher, hashes_an_empty_password) {
  const std::string hash = hash_password("");
  EXPECT_TRUE(verify_password("", hash));
  EXPECT_FALSE(verify_password("x", hash));
}

TEST(password_hasher, a_malformed_hash_is_simply_false) {
  const std::string hash = hash_password("password1");
  for (const std::string& malformed : {
           ""s,
           "garbage"s,
           "$argon2id$"s,
           "$argon2id$v=19$m=65536,t=2,p=1$"s,
           hash.substr(0, hash.size() / 2),
           hash.substr(0, hash.size() - 1),
           hash + "A",
           hash + '\0',
           hash.substr(0, 10) + '\0' + hash.substr(11),
           std::string(1000, '$'),
           "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"s,
       }) {
    EXPECT_FALSE(verify_password("password1", malformed)) << malformed;
  }
}

// The view may point into a larger buffer: only its own characters are the hash.
TEST(password_hasher, reads_the_hash_view_only) {
  const std::string hash = hash_password("password1");
  const std::string buffer = hash + "trailing bytes that are not part of the hash";
  EXPECT_TRUE(verify_password("password1", std::string_view(buffer).substr(0, hash.size())));
}

}  // namespace
}  // namespace livechat::auth
