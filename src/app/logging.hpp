#pragma once
// Logs go to stderr, one line each: UTC time with milliseconds, level, message.

#include <spdlog/common.h>

namespace livechat::app {

void configure_logging(spdlog::level::level_enum level);

}  // namespace livechat::app
