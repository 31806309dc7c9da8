#include "model/time.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace livechat::model {

timestamp now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string format_rfc3339(timestamp time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto milliseconds = (time - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", seconds, milliseconds);
}

std::int64_t to_epoch_ms(timestamp time) { return time.time_since_epoch().count(); }

timestamp from_epoch_ms(std::int64_t milliseconds) {
  return timestamp{std::chrono::milliseconds{milliseconds}};
}

}  // namespace livechat::model
