#include "auth/token_service.hpp"

#include <jwt.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "model/ids.hpp"

namespace livechat::auth {
namespace {

struct jwt_deleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

// libjwt 1.10 has no jwt_free_str: its strings come from plain malloc.
struct c_string_deleter {
  void operator()(char* text) const { std::free(text); }
};
using c_string_ptr = std::unique_ptr<char, c_string_deleter>;

// Ours are a few hundred bytes; the cap keeps a hostile header from costing a big decode.
constexpr std::size_t max_token_size = 8 * 1024;

// Seconds since the epoch a claim may hold: up to the year 9999, so that converting to
// milliseconds cannot overflow whatever a forged payload says.
constexpr long max_epoch_seconds = 253'402'300'799;

std::string_view type_name(token_type type) {
  return type == token_type::access ? "access" : "refresh";
}

bool is_base64url(std::string_view part) {
  if (part.empty()) return false;
  for (const char c : part) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!allowed) return false;
  }
  return true;
}

// Header, payload and signature, each non-empty unpadded base64url. An empty signature
// (as in `alg: none`) fails here already, before libjwt sees the token.
bool is_compact_jws(std::string_view token) {
  const auto first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return false;
  const auto second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return false;
  return is_base64url(token.substr(0, first_dot)) &&
         is_base64url(token.substr(first_dot + 1, second_dot - first_dot - 1)) &&
         is_base64url(token.substr(second_dot + 1));
}

// An integer claim, nullopt when missing or not a JSON integer (libjwt reports both via errno).
std::optional<long> integer_claim(jwt_t* jwt, const char* name) {
  errno = 0;
  const long value = jwt_get_grant_int(jwt, name);
  if (errno != 0) return std::nullopt;
  return value;
}

// A string claim, nullopt when missing, not a string, or empty.
std::optional<std::string> string_claim(jwt_t* jwt, const char* name) {
  const char* value = jwt_get_grant(jwt, name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

void check(int result, const char* what) {
  if (result != 0) throw std::system_error(result, std::generic_category(), what);
}

}  // namespace

token_service::token_service(std::string key, std::chrono::seconds access_ttl,
                             std::chrono::seconds refresh_ttl)
    : key_(std::move(key)), access_ttl_(access_ttl), refresh_ttl_(refresh_ttl) {
  // An empty key would make libjwt skip signature checks entirely: never allow one.
  if (key_.empty() || key_.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("token_service: the HMAC key must be 1 to INT_MAX bytes");
  }
  if (access_ttl_.count() <= 0 || refresh_ttl_.count() <= 0) {
    throw std::invalid_argument("token_service: token lifetimes must be positive");
  }
}

issued_token token_service::issue(std::string_view user_id, token_type type,
                                  model::timestamp now) const {
  if (user_id.empty() || user_id.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("token_service: a user id must be non-empty, without NUL");
  }
  const auto issued_at = std::chrono::floor<std::chrono::seconds>(now);
  const auto expires_at = issued_at + (type == token_type::access ? access_ttl_ : refresh_ttl_);
  std::string token_id = model::random_hex(16);

  jwt_t* raw = nullptr;
  check(jwt_new(&raw), "jwt_new");
  const jwt_ptr jwt(raw);
  const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  check(jwt_set_alg(jwt.get(), JWT_ALG_HS256, key, static_cast<int>(key_.size())),
        "jwt_set_alg");
  check(jwt_add_grant(jwt.get(), "sub", std::string(user_id).c_str()), "jwt_add_grant sub");
  check(jwt_add_grant(jwt.get(), "typ", std::string(type_name(type)).c_str()),
        "jwt_add_grant typ");
  check(jwt_add_grant(jwt.get(), "jti", token_id.c_str()), "jwt_add_grant jti");
  check(jwt_add_grant_int(jwt.get(), "iat", issued_at.time_since_epoch().count()),
        "jwt_add_grant_int iat");
  check(jwt_add_grant_int(jwt.get(), "exp", expires_at.time_since_epoch().count()),
        "jwt_add_grant_int exp");

  const c_string_ptr encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::system_error(errno, std::generic_category(), "jwt_encode_str");
  return issued_token{encoded.get(), std::move(token_id),
                      std::chrono::time_point_cast<std::chrono::milliseconds>(expires_at)};
}

std::optional<token_claims> token_service::verify(std::string_view token, token_type expected,
                                                  model::timestamp now) const {
  if (token.size() > max_token_size || !is_compact_jws(token)) return std::nullopt;

  // libjwt wants a NUL-terminated string; the view may point into a larger buffer.
  const std::string terminated(token);
  const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, terminated.c_str(), key, static_cast<int>(key_.size())) != 0) {
    return std::nullopt;
  }
  const jwt_ptr jwt(raw);

  // libjwt verifies with whatever HMAC the header names, using our key: an HS384 or HS512
  // token made with it decodes fine. Only HS256 is ours.
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return std::nullopt;

  auto user_id = string_claim(jwt.get(), "sub");
  const auto type = string_claim(jwt.get(), "typ");
  auto token_id = string_claim(jwt.get(), "jti");
  const auto issued_at = integer_claim(jwt.get(), "iat");
  const auto expires_at = integer_claim(jwt.get(), "exp");
  if (!user_id || !type || !token_id || !issued_at || !expires_at) return std::nullopt;
  if (*type != type_name(expected)) return std::nullopt;
  if (*issued_at < 0 || *issued_at > max_epoch_seconds || *expires_at < 0 ||
      *expires_at > max_epoch_seconds) {
    return std::nullopt;
  }

  const model::timestamp issued{std::chrono::seconds{*issued_at}};
  const model::timestamp expires{std::chrono::seconds{*expires_at}};
  if (now >= expires) return std::nullopt;
  return token_claims{std::move(*user_id), expected, std::move(*token_id), issued, expires};
}

}  // namespace livechat::auth
