#pragma once
// Users and their tokens: sign-up, sign-in, refresh with rotation, and turning an access
// token back into a user. Throws model::client_error with the contract's codes.

#include <string>
#include <string_view>

#include "auth/token_service.hpp"
#include "model/records.hpp"
#include "store/store.hpp"

namespace livechat::auth {

/// Who an access token speaks for, and until when.
struct access_grant {
  std::string user_id;
  model::timestamp expires_at;  // the token is refused from this instant on
};

struct token_pair {
  std::string access_token;
  std::string refresh_token;
};

class user_service {
 public:
  /// Hashes a throw-away password once, so that signing in as an unknown user costs as much
  /// as a wrong password (no timing difference to probe user ids with).
  user_service(store::store& store, const token_service& tokens);

  /// Registers a user. VALIDATION_ERROR for a bad user id or password, USER_EXISTS.
  model::user sign_up(std::string_view user_id, std::string_view password);

  /// A new token pair. INVALID_CREDENTIALS for an unknown user and a wrong password alike.
  token_pair sign_in(std::string_view user_id, std::string_view password);

  /// Spends `refresh_token` and returns a new pair whose refresh token is of the same family
  /// (sign-in). UNAUTHORIZED when it is expired, spent, forged, unknown or not a refresh token;
  /// a spent one also revokes every refresh token of its family (store::rotate_refresh_token).
  token_pair refresh(std::string_view refresh_token);

  /// The signed-in user's record. UNAUTHORIZED when the user no longer exists.
  model::user profile(std::string_view user_id);

  /// The user id an access token speaks for. UNAUTHORIZED for a missing, malformed, forged or
  /// expired token, or one of another type. Cheap: no database access.
  std::string authenticate(std::string_view access_token) const;

  /// As authenticate(), with the instant the token expires, for a connection that outlives
  /// the check (STOMP: SEND and SUBSCRIBE after it are refused).
  access_grant authorize(std::string_view access_token) const;

 private:
  token_pair issue_pair(std::string_view user_id);

  store::store& store_;
  const token_service& tokens_;
  std::string decoy_hash_;
};

}  // namespace livechat::auth
