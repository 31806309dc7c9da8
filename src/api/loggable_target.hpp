#pragma once
// Request targets as they may appear in a log line: without the credentials a URL can carry.

#include <string>
#include <string_view>

namespace livechat::api {

/// `target` (a request's origin-form path and query) with the value of every query parameter
/// whose name contains "token" (any case, after percent-decoding: `access_token` above all,
/// which EventSource clients must put in the URL) replaced by `[redacted]`. A query that does
/// not parse is left out whole.
std::string loggable_target(std::string_view target);

}  // namespace livechat::api
