#pragma once
// The one reading of an `Authorization: Bearer <token>` value, for REST and STOMP alike.

#include <optional>
#include <string_view>

namespace livechat::auth {

/// The token of `authorization` when it is "Bearer <token>" (the scheme in any case; spaces
/// and tabs around the token ignored); nullopt when it does not start with the Bearer scheme.
std::optional<std::string_view> parse_bearer(std::string_view authorization);

}  // namespace livechat::auth
