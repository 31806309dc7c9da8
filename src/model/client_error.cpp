#include "model/client_error.hpp"

namespace livechat::model {

int http_status(client_errc errc) {
  switch (errc) {
    case client_errc::bad_request:
    case client_errc::validation_error: return 400;
    case client_errc::unauthorized:
    case client_errc::invalid_credentials: return 401;
    case client_errc::wrong_password:
    case client_errc::room_closed:
    case client_errc::not_a_member:
    case client_errc::forbidden: return 403;
    case client_errc::not_found: return 404;
    case client_errc::method_not_allowed: return 405;
    case client_errc::user_exists:
    case client_errc::already_joined:
    case client_errc::not_joined:
    case client_errc::session_ended: return 409;
    case client_errc::payload_too_large: return 413;
    case client_errc::unsupported_media: return 415;
    case client_errc::rate_limited: return 429;
    case client_errc::headers_too_large: return 431;
    case client_errc::unavailable: return 503;
    case client_errc::internal: return 500;
  }
  return 500;
}

std::string_view error_code(client_errc errc) {
  switch (errc) {
    case client_errc::bad_request: return "BAD_REQUEST";
    case client_errc::validation_error: return "VALIDATION_ERROR";
    case client_errc::unauthorized: return "UNAUTHORIZED";
    case client_errc::invalid_credentials: return "INVALID_CREDENTIALS";
    case client_errc::wrong_password: return "WRONG_PASSWORD";
    case client_errc::room_closed: return "ROOM_CLOSED";
    case client_errc::not_a_member: return "NOT_A_MEMBER";
    case client_errc::forbidden: return "FORBIDDEN";
    case client_errc::not_found: return "NOT_FOUND";
    case client_errc::method_not_allowed: return "METHOD_NOT_ALLOWED";
    case client_errc::user_exists: return "USER_EXISTS";
    case client_errc::already_joined: return "ALREADY_JOINED";
    case client_errc::not_joined: return "NOT_JOINED";
    case client_errc::session_ended: return "SESSION_ENDED";
    case client_errc::payload_too_large: return "PAYLOAD_TOO_LARGE";
    case client_errc::unsupported_media: return "UNSUPPORTED_MEDIA_TYPE";
    case client_errc::headers_too_large: return "HEADERS_TOO_LARGE";
    case client_errc::rate_limited: return "RATE_LIMITED";
    case client_errc::unavailable: return "UNAVAILABLE";
    case client_errc::internal: return "INTERNAL";
  }
  return "INTERNAL";
}

}  // namespace livechat::model
