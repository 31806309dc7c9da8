#include "net/websocket/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace livechat::net::websocket {

bool is_valid_utf8(std::string_view text) {
  const auto* next = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = next + text.size();
  while (next != end) {
    // Chat is mostly ASCII: skip it eight bytes at a time.
    if (end - next >= 8) {
      std::uint64_t word;
      std::memcpy(&word, next, sizeof word);
      if ((word & 0x8080808080808080u) == 0) {
        next += 8;
        continue;
      }
    }
    const unsigned lead = *next;
    if (lead < 0x80) {
      ++next;
      continue;
    }
    // The lead byte fixes the length and narrows the second byte's range, which is what rules
    // out overlong forms (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
    std::ptrdiff_t length = 0;
    unsigned second_min = 0x80;
    unsigned second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_min = 0xA0;
      if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_min = 0x90;
      if (lead == 0xF4) second_max = 0x8F;
    } else {
      return false;
    }
    if (end - next < length) return false;
    if (next[1] < second_min || next[1] > second_max) return false;
    for (std::ptrdiff_t i = 2; i < length; ++i) {
      if ((next[i] & 0xC0) != 0x80) return false;
    }
    next += length;
  }
  return true;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // The first byte left out must start a character; back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

}  // namespace livechat::net::websocket
