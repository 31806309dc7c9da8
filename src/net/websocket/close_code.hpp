#pragma once
// Close status codes (RFC 6455 section 7.4) the server sends, and the rule for which codes may
// travel in a close frame at all.

#include <cstdint>

namespace livechat::net::websocket::close_code {

inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
// Never on the wire: stands for a close frame that carried no code.
inline constexpr std::uint16_t no_status = 1005;
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;

/// True when `code` may appear in a close frame: 1000–1003 and 1007–1014 (RFC 6455 and the IANA
/// registry), or 3000–4999 (libraries and applications). 1004–1006, 1015 and the rest are not.
bool is_sendable(std::uint16_t code);

}  // namespace livechat::net::websocket::close_code
