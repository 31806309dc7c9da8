#include "bench/chunked_decoder.hpp"

#include <algorithm>

namespace livechat::bench {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool chunked_decoder::decode(std::string_view bytes, std::string& out) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const char c = bytes[at];
    switch (state_) {
      case state::size:
        if (const int digit = hex_value(c); digit >= 0) {
          if (++size_digits_ > 15) {
            state_ = state::failed;
            return false;
          }
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(digit);
        } else if (size_digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
          state_ = state::extension;
        } else if (size_digits_ > 0 && c == '\r') {
          state_ = state::size_lf;
        } else {
          state_ = state::failed;
          return false;
        }
        ++at;
        break;
      case state::extension:  // chunk extensions are ignored
        if (c == '\r') state_ = state::size_lf;
        ++at;
        break;
      case state::size_lf:
        if (c != '\n') {
          state_ = state::failed;
          return false;
        }
        ++at;
        size_digits_ = 0;
        state_ = remaining_ == 0 ? state::trailer : state::data;
        break;
      case state::data: {
        const auto take = static_cast<std::size_t>(
            std::min<std::uint64_t>(remaining_, bytes.size() - at));
        out.append(bytes.substr(at, take));
        at += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = state::data_cr;
        break;
      }
      case state::data_cr:
      case state::data_lf:
        if (c != (state_ == state::data_cr ? '\r' : '\n')) {
          state_ = state::failed;
          return false;
        }
        ++at;
        state_ = state_ == state::data_cr ? state::data_lf : state::size;
        break;
      case state::trailer:  // trailer fields are not used; the body ends here for the bench
        state_ = state::finished;
        return true;
      case state::finished: return true;
      case state::failed: return false;
    }
  }
  return true;
}

}  // namespace livechat::bench
