#include "model/time.hpp"

#include <fmt/format.h>

#include <charconv>

namespace livechat::model {

timestamp now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string format_rfc3339(timestamp time) {
  // Calendar arithmetic on milliseconds: fmt's time formatting goes through the system clock's
  // nanoseconds, which overflow after the year 2262 (a fuzzer found it with a year-7950 time).
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

std::optional<timestamp> parse_rfc3339(std::string_view text) {
  // Position and width of each number in `2026-05-10T23:11:00.123Z`; the rest are separators.
  constexpr std::string_view shape = "0000-00-00T00:00:00.000Z";
  if (text.size() != shape.size()) return std::nullopt;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (shape[i] == '0' ? !digit : text[i] != shape[i]) return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t width) {
    int value = 0;
    std::from_chars(text.data() + at, text.data() + at + width, value);
    return value;
  };
  const std::chrono::year_month_day date{std::chrono::year{number(0, 4)},
                                         std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                         std::chrono::day{static_cast<unsigned>(number(8, 2))}};
  const int hours = number(11, 2), minutes = number(14, 2), seconds = number(17, 2);
  if (!date.ok() || hours > 23 || minutes > 59 || seconds > 59) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{hours} + std::chrono::minutes{minutes} +
         std::chrono::seconds{seconds} + std::chrono::milliseconds{number(20, 3)};
}

std::int64_t to_epoch_ms(timestamp time) { return time.time_since_epoch().count(); }

timestamp from_epoch_ms(std::int64_t milliseconds) {
  return timestamp{std::chrono::milliseconds{milliseconds}};
}

}  // namespace livechat::model
