#pragma once
// Wall-clock time as the API shows it: milliseconds since the Unix epoch, UTC.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace livechat::model {

using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

/// The current time, truncated to milliseconds.
timestamp now();

/// RFC 3339 UTC with milliseconds, as every API response writes times: `2026-05-10T23:11:00.123Z`.
std::string format_rfc3339(timestamp time);

/// The inverse of format_rfc3339: exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`; nullopt for anything else.
std::optional<timestamp> parse_rfc3339(std::string_view text);

/// Milliseconds since the epoch, the form the stores keep.
std::int64_t to_epoch_ms(timestamp time);
timestamp from_epoch_ms(std::int64_t milliseconds);

}  // namespace livechat::model
