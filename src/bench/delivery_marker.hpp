#pragma once
// The text the bench puts in every message it publishes: a sequence number and the send time,
// `#lcb:<seq>:<microseconds>#`, padded to the payload size. Subscribers find markers by
// scanning whatever bytes a message or event carries, so one scanner serves every protocol and
// every envelope (livechat's JSON, nchan's raw body, Socket.IO's event array), and a batch of
// several messages yields each of them. The characters survive JSON and SSE unescaped.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace livechat::bench {

/// The message text for message `sequence` sent at `sent_microseconds` (steady clock), padded
/// with 'x' to `payload_bytes` characters when shorter.
std::string format_marker(std::uint64_t sequence, std::int64_t sent_microseconds,
                          std::size_t payload_bytes);

/// Calls `on_marker(sequence, sent_microseconds)` for each well-formed marker in `bytes`, in
/// order. Malformed ones (no digits, no closing '#', numbers too long) are skipped.
template <class Handler>
void scan_markers(std::string_view bytes, Handler&& on_marker) {
  static constexpr std::string_view prefix = "#lcb:";
  const char* at = bytes.data();
  const char* const end = bytes.data() + bytes.size();
  while (static_cast<std::size_t>(end - at) >= prefix.size()) {
    const void* found = memmem(at, static_cast<std::size_t>(end - at), prefix.data(), prefix.size());
    if (found == nullptr) return;
    at = static_cast<const char*>(found) + prefix.size();
    auto read_number = [&](char terminator, std::uint64_t& value) {
      const char* start = at;
      value = 0;
      while (at < end && *at >= '0' && *at <= '9' && at - start < 19) {
        value = value * 10 + static_cast<std::uint64_t>(*at - '0');
        ++at;
      }
      if (at == start || at == end || *at != terminator) return false;
      if (terminator == ':') ++at;  // a closing '#' may open the next marker
      return true;
    };
    std::uint64_t sequence = 0;
    std::uint64_t sent = 0;
    if (read_number(':', sequence) && read_number('#', sent)) {
      on_marker(sequence, static_cast<std::int64_t>(sent));
    }
  }
}

}  // namespace livechat::bench
