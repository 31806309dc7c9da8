#pragma once
// Room and session identifiers: UUIDs in their canonical 36-character lowercase form.

#include <optional>
#include <string>
#include <string_view>

namespace livechat::model {

/// A new random (version 4) UUID from the system's CSPRNG, lowercase.
std::string new_uuid();

/// The canonical lowercase form of `text` when it is a UUID (8-4-4-4-12 hex digits, either
/// case), nullopt otherwise. Clients may send upper case; ids are always compared lowercase.
std::optional<std::string> parse_uuid(std::string_view text);

/// `bytes` random bytes as lowercase hex, for opaque identifiers such as token ids.
std::string random_hex(std::size_t bytes);

}  // namespace livechat::model
