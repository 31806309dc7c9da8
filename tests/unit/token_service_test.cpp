#include "auth/token_service.hpp"

#include <gtest/gtest.h>
#include <jwt.h>
#include <sodium.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <random>
#include <string>

namespace livechat::auth {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

const std::string key = "test key: 32 bytes of HMAC key!!";
const model::timestamp now = model::from_epoch_ms(1'700'000'000'500);
constexpr long now_s = 1'700'000'000;

token_service make_service(std::string service_key = key) {
  return token_service(std::move(service_key), 7200s, 604800s);
}

std::string base64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string base64url_decode(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                              text.size(), nullptr, &length, nullptr,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  out.resize(length);
  return out;
}

// The three parts of a compact JWT.
std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  return parts;
}

std::string valid_claims_json(const char* type = "access") {
  return boost::json::serialize(boost::json::object{{"sub", "alice"},
                                                    {"typ", type},
                                                    {"jti", "0123456789abcdef"},
                                                    {"iat", now_s},
                                                    {"exp", now_s + 60}});
}

// A token made by libjwt itself, independent of token_service, for forgeries.
std::string sign_with_libjwt(jwt_alg_t alg, std::string_view signing_key, const std::string& claims) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims.c_str()), 0);
  EXPECT_EQ(jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(signing_key.data()),
                        static_cast<int>(signing_key.size())),
            0);
  char* encoded = jwt_encode_str(jwt);
  std::string token = encoded != nullptr ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return token;
}

TEST(token_service, verifies_the_tokens_it_issues) {
  const auto service = make_service();
  for (const auto type : {token_type::access, token_type::refresh}) {
    const issued_token issued = service.issue("alice", type, now);
    const auto claims = service.verify(issued.token, type, now);
    ASSERT_TRUE(claims.has_value());
    EXPECT_EQ(claims->user_id, "alice");
    EXPECT_EQ(claims->type, type);
    EXPECT_EQ(claims->token_id, issued.token_id);
    EXPECT_EQ(claims->issued_at, model::from_epoch_ms(now_s * 1000));
    EXPECT_EQ(claims->expires_at, issued.expires_at);
  }
}

// What any other JWT library will read: the header and the payload as plain JSON.
TEST(token_service, writes_the_contracted_claims) {
  const auto service = make_service();
  for (const auto& [type, type_name, ttl] : {std::tuple{token_type::access, "access", 7200},
                                             std::tuple{token_type::refresh, "refresh", 604800}}) {
    const issued_token issued = service.issue("alice", type, now);
    const auto parts = split(issued.token);
    ASSERT_EQ(parts.size(), 3u);
    const auto header = boost::json::parse(base64url_decode(parts[0])).as_object();
    EXPECT_EQ(header.at("alg").as_string(), "HS256");
    const auto payload = boost::json::parse(base64url_decode(parts[1])).as_object();
    EXPECT_EQ(payload.at("sub").as_string(), "alice");
    EXPECT_EQ(payload.at("typ").as_string(), type_name);
    EXPECT_EQ(payload.at("iat").as_int64(), now_s);
    EXPECT_EQ(payload.at("exp").as_int64() - payload.at("iat").as_int64(), ttl);
    EXPECT_EQ(payload.at("jti").as_string(), issued.token_id);
    EXPECT_EQ(issued.token_id.size(), 32u);
    EXPECT_EQ(issued.expires_at, model::from_epoch_ms((now_s + ttl) * 1000));
  }
}

TEST(token_service, gives_every_token_its_own_id) {
  const auto service = make_service();
  const auto first = service.issue("alice", token_type::refresh, now);
  const auto second = service.issue("alice", token_type::refresh, now);
  EXPECT_NE(first.token_id, second.token_id);
  EXPECT_NE(first.token, second.token);
}

TEST(token_service, refuses_an_expired_token) {
  const auto service = make_service();
  const issued_token issued = service.issue("alice", token_type::access, now);
  EXPECT_TRUE(service.verify(issued.token, token_type::access, issued.expires_at - 1ms));
  EXPECT_FALSE(service.verify(issued.token, token_type::access, issued.expires_at));
  EXPECT_FALSE(service.verify(issued.token, token_type::access, issued.expires_at + 24h));
}

TEST(token_service, refuses_the_wrong_type) {
  const auto service = make_service();
  const auto access = service.issue("alice", token_type::access, now);
  const auto refresh = service.issue("alice", token_type::refresh, now);
  EXPECT_FALSE(service.verify(access.token, token_type::refresh, now));
  EXPECT_FALSE(service.verify(refresh.token, token_type::access, now));
  // A type we never issue, signed with our key.
  const std::string other = sign_with_libjwt(JWT_ALG_HS256, key, valid_claims_json("admin"));
  EXPECT_FALSE(service.verify(other, token_type::access, now));
}

TEST(token_service, refuses_a_tampered_payload) {
  const auto service = make_service();
  const auto parts = split(service.issue("alice", token_type::access, now).token);
  auto payload = boost::json::parse(base64url_decode(parts[1])).as_object();
  payload["sub"] = "mallory";
  const std::string forged =
      parts[0] + "." + base64url(boost::json::serialize(payload)) + "." + parts[2];
  EXPECT_FALSE(service.verify(forged, token_type::access, now));
}

TEST(token_service, refuses_a_tampered_signature) {
  const auto service = make_service();
  const std::string token = service.issue("alice", token_type::access, now).token;
  const auto parts = split(token);
  for (std::size_t position = 0; position + 1 < parts[2].size(); ++position) {
    std::string signature = parts[2];
    signature[position] = signature[position] == 'A' ? 'B' : 'A';
    const std::string forged = parts[0] + "." + parts[1] + "." + signature;
    EXPECT_FALSE(service.verify(forged, token_type::access, now)) << position;
  }
  EXPECT_FALSE(service.verify(parts[0] + "." + parts[1] + ".", token_type::access, now));
  EXPECT_FALSE(service.verify(parts[0] + "." + parts[1], token_type::access, now));
}

TEST(token_service, refuses_alg_none) {
  const auto service = make_service();
  const std::string payload = base64url(valid_claims_json());
  const std::string none_header = "eyJhbGciOiJub25lIn0";  // {"alg":"none"}
  ASSERT_EQ(base64url(R"({"alg":"none"})"), none_header);
  const std::string none_typ_header = base64url(R"({"alg":"none","typ":"JWT"})");
  const std::string real_signature = split(service.issue("alice", token_type::access, now).token)[2];

  EXPECT_FALSE(service.verify(none_header + "." + payload + ".", token_type::access, now));
  EXPECT_FALSE(service.verify(none_typ_header + "." + payload + ".", token_type::access, now));
  // With something in the signature slot the token gets past the format check to libjwt.
  EXPECT_FALSE(service.verify(none_header + "." + payload + "." + real_signature,
                              token_type::access, now));
  EXPECT_FALSE(service.verify(none_header + "." + payload + ".e30", token_type::access, now));
}

TEST(token_service, accepts_a_standard_hs256_token_made_elsewhere) {
  // Proves the forgeries below fail for the reason they test, not for how they are made.
  const std::string token = sign_with_libjwt(JWT_ALG_HS256, key, valid_claims_json());
  const auto claims = make_service().verify(token, token_type::access, now);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->user_id, "alice");
  EXPECT_EQ(claims->token_id, "0123456789abcdef");
}

TEST(token_service, refuses_other_hmac_algorithms_with_our_key) {
  const auto service = make_service();
  for (const auto alg : {JWT_ALG_HS384, JWT_ALG_HS512}) {
    const std::string token = sign_with_libjwt(alg, key, valid_claims_json());
    ASSERT_FALSE(token.empty());
    EXPECT_FALSE(service.verify(token, token_type::access, now)) << jwt_alg_str(alg);
  }
}

TEST(token_service, refuses_a_token_signed_with_another_key) {
  const auto ours = make_service();
  const auto theirs = make_service("another key, also 32 bytes long!");
  EXPECT_FALSE(ours.verify(theirs.issue("alice", token_type::access, now).token,
                           token_type::access, now));
  EXPECT_FALSE(ours.verify(sign_with_libjwt(JWT_ALG_HS256, "k", valid_claims_json()),
                           token_type::access, now));
}

// Base64-decoded keys may hold NUL bytes: all of them are the key.
TEST(token_service, uses_every_byte_of_the_key) {
  const auto full = make_service("ab\0cd"s);
  const auto other_tail = make_service("ab\0ce"s);
  const auto truncated = make_service("ab");
  const auto token = full.issue("alice", token_type::access, now).token;
  EXPECT_TRUE(full.verify(token, token_type::access, now));
  EXPECT_FALSE(other_tail.verify(token, token_type::access, now));
  EXPECT_FALSE(truncated.verify(token, token_type::access, now));
}

TEST(token_service, refuses_an_empty_key) {
  EXPECT_THROW(token_service("", 1s, 1s), std::invalid_argument);
  EXPECT_THROW(token_service("k", 0s, 1s), std::invalid_argument);
}

TEST(token_service, refuses_missing_or_mistyped_claims) {
  const auto service = make_service();
  auto claims_without = [](const char* name) {
    auto claims = boost::json::parse(valid_claims_json()).as_object();
    claims.erase(name);
    return claims;
  };
  for (const char* name : {"sub", "typ", "exp", "iat", "jti"}) {
    const auto token = sign_with_libjwt(JWT_ALG_HS256, key, boost::json::serialize(claims_without(name)));
    EXPECT_FALSE(service.verify(token, token_type::access, now)) << "without " << name;
  }
  auto string_exp = claims_without("exp");
  string_exp["exp"] = std::to_string(now_s + 60);
  auto float_exp = claims_without("exp");
  float_exp["exp"] = now_s + 60.5;
  auto huge_exp = claims_without("exp");
  huge_exp["exp"] = std::int64_t{1} << 62;
  auto number_sub = claims_without("sub");
  number_sub["sub"] = 42;
  auto empty_sub = claims_without("sub");
  empty_sub["sub"] = "";
  for (const auto& claims : {string_exp, float_exp, huge_exp, number_sub, empty_sub}) {
    const auto token = sign_with_libjwt(JWT_ALG_HS256, key, boost::json::serialize(claims));
    EXPECT_FALSE(service.verify(token, token_type::access, now)) << claims;
  }
}

TEST(token_service, refuses_tokens_over_8_kib) {
  const auto service = make_service();
  const auto big = service.issue(std::string(7000, 'u'), token_type::access, now).token;
  ASSERT_GT(big.size(), 8u * 1024);
  EXPECT_FALSE(service.verify(big, token_type::access, now));
}

// The view may point into a larger buffer: only its own characters are the token.
TEST(token_service, reads_the_token_view_only) {
  const auto service = make_service();
  const std::string token = service.issue("alice", token_type::access, now).token;
  const std::string buffer = token + "garbage after the token";
  EXPECT_TRUE(service.verify(std::string_view(buffer).substr(0, token.size()),
                             token_type::access, now));
  EXPECT_FALSE(service.verify(buffer, token_type::access, now));
}

TEST(token_service, refuses_garbage) {
  const auto service = make_service();
  const std::string token = service.issue("alice", token_type::access, now).token;
  for (const std::string& garbage : {
           ""s, "."s, ".."s, "..."s, "a"s, "a.b"s, "a.b.c"s, "a.b.c.d"s, ".b.c"s, "a..c"s,
           token + "."s, "."s + token, token + " "s, " "s + token, token + "="s,
           token.substr(0, token.size() - 1) + "\0"s, "Bearer "s + token,
           std::string(100'000, 'A'), std::string(9000, '.'),
           "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln"s,  // a payload that is not JSON
           "bm90IGpzb24.e30.c2ln"s,                    // a header that is not JSON
           "e30.e30.c2ln"s,                            // {} header: no alg
       }) {
    EXPECT_FALSE(service.verify(garbage, token_type::access, now)) << garbage;
  }
}

TEST(token_service, survives_random_input) {
  const auto service = make_service();
  std::mt19937 random(12345);
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \"{}";
  for (int round = 0; round < 3000; ++round) {
    std::string input(random() % 300, '\0');
    if (round % 2 == 0) {
      for (char& c : input) c = static_cast<char>(random());  // any byte
    } else {
      for (char& c : input) c = alphabet[random() % alphabet.size()];
    }
    EXPECT_FALSE(service.verify(input, token_type::access, now));
  }
  // Well-formed JSON parts with random contents, so that libjwt parses deeper.
  for (int round = 0; round < 1000; ++round) {
    std::string header = R"({"alg":"HS256","x":")" + std::to_string(random()) + "\"}";
    std::string payload(random() % 100, '\0');
    for (char& c : payload) c = static_cast<char>(random());
    const std::string input = base64url(header) + "." + base64url(payload) + "." +
                              base64url(std::to_string(random()));
    EXPECT_FALSE(service.verify(input, token_type::access, now));
  }
}

}  // namespace
}  // namespace livechat::auth
