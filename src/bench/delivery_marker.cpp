#include "bench/delivery_marker.hpp"

#include <fmt/format.h>

namespace livechat::bench {

std::string format_marker(std::uint64_t sequence, std::int64_t sent_microseconds,
                          std::size_t payload_bytes) {
  std::string text = fmt::format("#lcb:{}:{}#", sequence, sent_microseconds);
  if (text.size() < payload_bytes) text.append(payload_bytes - text.size(), 'x');
  return text;
}

}  // namespace livechat::bench
