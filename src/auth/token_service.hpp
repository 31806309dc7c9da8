#pragma once
// Access and refresh tokens: JWT signed with HS256, claims `sub` (user id), `iat`, `exp`,
// `typ` ("access" or "refresh") and `jti` (a random id, used to spend a refresh token once).
// Any standard JWT library can read them given the key.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "model/time.hpp"

namespace livechat::auth {

enum class token_type { access, refresh };

struct issued_token {
  std::string token;    // the compact JWT
  std::string token_id; // its `jti`
  model::timestamp expires_at;
};

struct token_claims {
  std::string user_id;  // `sub`
  token_type type;
  std::string token_id;  // `jti`
  model::timestamp issued_at;
  model::timestamp expires_at;
};

class token_service {
 public:
  /// `key` is the HMAC key's bytes (already decoded from JWT_SECRET; NUL bytes allowed).
  /// Throws std::invalid_argument for an empty key (libjwt would then check no signature at
  /// all) or a lifetime that is not positive.
  token_service(std::string key, std::chrono::seconds access_ttl,
                std::chrono::seconds refresh_ttl);

  /// A new signed token for `user_id`, valid from `now` for the type's lifetime. JWT times are
  /// whole seconds: `iat` is `now` rounded down, `exp` = `iat` + lifetime.
  issued_token issue(std::string_view user_id, token_type type, model::timestamp now) const;

  /// The claims of `token` when it is a well-formed JWT (at most 8 KiB) with header alg HS256,
  /// signed with our key, of type `expected`, carrying every claim that issue() writes, and not
  /// expired at `now` (expired from the instant `exp` is reached). nullopt for anything else:
  /// `alg: none` or any other algorithm, a bad signature, a past `exp`, the wrong `typ`.
  std::optional<token_claims> verify(std::string_view token, token_type expected,
                                     model::timestamp now) const;

 private:
  std::string key_;
  std::chrono::seconds access_ttl_;
  std::chrono::seconds refresh_ttl_;
};

}  // namespace livechat::auth
