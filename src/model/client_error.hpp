#pragma once
// The catalogue of errors a client can be told about, with the codes of the product contract
// (SPEC.md section 2). REST turns them into `{"code","message"}` with a status; STOMP into an
// ERROR frame. Anything not in this catalogue reaches a client only as INTERNAL.

#include <stdexcept>
#include <string>
#include <string_view>

namespace livechat::model {

enum class client_errc {
  bad_request,          // 400 BAD_REQUEST: malformed JSON, wrong type, bad id or parameter
  validation_error,     // 400 VALIDATION_ERROR: well-formed but breaks a rule (length, charset)
  unauthorized,         // 401 UNAUTHORIZED: no, bad or expired token or key
  invalid_credentials,  // 401 INVALID_CREDENTIALS: unknown user or wrong password, alike
  wrong_password,       // 403 WRONG_PASSWORD: a private room's password missing or wrong
  room_closed,          // 403 ROOM_CLOSED
  not_a_member,         // 403 NOT_A_MEMBER
  forbidden,            // 403 FORBIDDEN: anything else not allowed to this caller
  not_found,            // 404 NOT_FOUND
  method_not_allowed,   // 405 METHOD_NOT_ALLOWED
  user_exists,          // 409 USER_EXISTS
  already_joined,       // 409 ALREADY_JOINED
  not_joined,           // 409 NOT_JOINED
  session_ended,        // 409 SESSION_ENDED
  payload_too_large,    // 413 PAYLOAD_TOO_LARGE
  unsupported_media,    // 415 UNSUPPORTED_MEDIA_TYPE
  headers_too_large,    // 431 HEADERS_TOO_LARGE
  rate_limited,         // 429 RATE_LIMITED
  unavailable,          // 503 UNAVAILABLE
  internal,             // 500 INTERNAL: a bug or an unexpected failure, never a client's mistake
};

/// The HTTP status that stands for `errc`.
int http_status(client_errc errc);

/// The code clients see, e.g. "ROOM_CLOSED".
std::string_view error_code(client_errc errc);

/// Thrown by services for a request that cannot be served as asked; the transport decides
/// how to tell the client.
class client_error : public std::runtime_error {
 public:
  client_error(client_errc errc, const std::string& message)
      : std::runtime_error(message), errc_(errc) {}

  client_errc errc() const { return errc_; }

 private:
  client_errc errc_;
};

}  // namespace livechat::model
