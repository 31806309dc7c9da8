#pragma once
// RESP encoding of a command: an array of bulk strings, appended to an output buffer so that
// many pipelined commands leave in one write.

#include <span>
#include <string>
#include <string_view>

namespace livechat::redis {

/// Appends `*<n>\r\n` then `$<len>\r\n<arg>\r\n` for each argument.
void append_command(std::string& out, std::span<const std::string_view> args);

}  // namespace livechat::redis
