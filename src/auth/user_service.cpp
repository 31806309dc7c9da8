#include "auth/user_service.hpp"

#include "auth/password_hasher.hpp"
#include "model/client_error.hpp"
#include "model/validation.hpp"

namespace livechat::auth {

using model::client_errc;
using model::client_error;

user_service::user_service(store::store& store, const token_service& tokens)
    : store_(store), tokens_(tokens), decoy_hash_(hash_password("decoy password")) {}

model::user user_service::sign_up(std::string_view user_id, std::string_view password) {
  if (!model::is_valid_user_id(user_id)) {
    throw client_error(client_errc::validation_error,
                       "userId must be 3 to 32 characters of A-Z, a-z, 0-9, '_', '.', '-'");
  }
  if (!model::is_valid_user_password(password)) {
    throw client_error(client_errc::validation_error, "password must be 8 to 128 bytes");
  }
  // Checked first to spare a slow hash; create_user below is what decides a race.
  if (store_.find_user(user_id)) {
    throw client_error(client_errc::user_exists, "this userId is taken");
  }
  model::user user{std::string(user_id), hash_password(password), model::now()};
  if (!store_.create_user(user)) {
    throw client_error(client_errc::user_exists, "this userId is taken");
  }
  return user;
}

token_pair user_service::sign_in(std::string_view user_id, std::string_view password) {
  const auto user = store_.find_user(user_id);
  const bool password_matches = verify_password(password, user ? user->password_hash : decoy_hash_);
  if (!user || !password_matches) {
    throw client_error(client_errc::invalid_credentials, "wrong userId or password");
  }
  return issue_pair(user->user_id);
}

token_pair user_service::refresh(std::string_view refresh_token) {
  const auto now = model::now();
  const auto claims = tokens_.verify(refresh_token, token_type::refresh, now);
  if (claims) {
    const issued_token access = tokens_.issue(claims->user_id, token_type::access, now);
    const issued_token next = tokens_.issue(claims->user_id, token_type::refresh, now);
    const auto outcome =
        store_.rotate_refresh_token(claims->token_id, next.token_id, next.expires_at, now);
    if (outcome == store::refresh_outcome::rotated) return token_pair{access.token, next.token};
    if (outcome == store::refresh_outcome::reused) {
      throw client_error(client_errc::unauthorized,
                         "this refresh token was already used; every token of its sign-in is "
                         "revoked: sign in again");
    }
  }
  throw client_error(client_errc::unauthorized,
                     "the refresh token is expired, already used or not valid");
}

model::user user_service::profile(std::string_view user_id) {
  auto user = store_.find_user(user_id);
  if (!user) throw client_error(client_errc::unauthorized, "no such user");
  return std::move(*user);
}

std::string user_service::authenticate(std::string_view access_token) const {
  return authorize(access_token).user_id;
}

access_grant user_service::authorize(std::string_view access_token) const {
  if (access_token.empty()) {
    throw client_error(client_errc::unauthorized, "an access token is required");
  }
  auto claims = tokens_.verify(access_token, token_type::access, model::now());
  if (!claims) {
    throw client_error(client_errc::unauthorized, "the access token is expired or not valid");
  }
  return access_grant{std::move(claims->user_id), claims->expires_at};
}

token_pair user_service::issue_pair(std::string_view user_id) {
  const auto now = model::now();
  const issued_token access = tokens_.issue(user_id, token_type::access, now);
  const issued_token refresh = tokens_.issue(user_id, token_type::refresh, now);
  store_.save_refresh_token(refresh.token_id, user_id, refresh.expires_at);
  return token_pair{access.token, refresh.token};
}

}  // namespace livechat::auth
