#pragma once
// The contract's rules for what clients may name things (SPEC.md sections 3 and 4).

#include <cstddef>
#include <string_view>

namespace livechat::model {

/// 3–32 characters of `A-Za-z0-9_.-`.
bool is_valid_user_id(std::string_view user_id);

/// 8–128 bytes, any bytes.
bool is_valid_user_password(std::string_view password);

/// The number of Unicode code points in valid UTF-8 text (what the contract calls characters).
std::size_t utf8_length(std::string_view text);

/// True when valid UTF-8 `text` has a character outside Unicode's White_Space set (spaces,
/// tabs, line breaks, no-break and ideographic spaces…).
bool has_visible_text(std::string_view text);

/// True when `text` holds no U+0000: no client means to send one, and PostgreSQL's text type
/// cannot store it, so it is refused (400) in every mode rather than failing only on one store.
bool has_no_nul(std::string_view text);

}  // namespace livechat::model
