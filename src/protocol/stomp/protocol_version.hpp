#pragma once
// The STOMP versions livechat speaks, and how a connection settles on one (STOMP 1.2,
// "Protocol Negotiation"). The version decides how header text is escaped on the wire.

#include <optional>
#include <string_view>

namespace livechat::stomp {

enum class protocol_version { v1_0, v1_1, v1_2 };

/// The version as written in `accept-version` and `version` headers: "1.0", "1.1" or "1.2".
std::string_view to_string(protocol_version version);

/// The highest version both sides speak, from the CONNECT frame's `accept-version` header (a
/// comma-separated list; blanks around entries are ignored, unknown entries skipped). No header
/// at all means a STOMP 1.0 client. nullopt when the list names none of 1.0, 1.1, 1.2; the
/// server then answers ERROR with the versions it supports.
std::optional<protocol_version> negotiate_version(std::optional<std::string_view> accept_version);

}  // namespace livechat::stomp
