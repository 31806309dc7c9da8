#pragma once
// Undoes HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1) incrementally: feed the bytes
// of a response body in any pieces, get the payload bytes out in order. nchan streams its
// EventSource responses this way; livechat's are close-delimited and need no decoding.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace livechat::bench {

class chunked_decoder {
 public:
  /// Appends the payload that `bytes` carries to `out`. Returns false when the coding is
  /// broken (the decoder then stays failed); true otherwise, including after the last chunk,
  /// past which bytes are ignored.
  bool decode(std::string_view bytes, std::string& out);

  bool finished() const { return state_ == state::finished; }

 private:
  enum class state { size, extension, size_lf, data, data_cr, data_lf, trailer, finished, failed };

  state state_ = state::size;
  std::uint64_t remaining_ = 0;  // of the chunk being read, or its size while parsing it
  int size_digits_ = 0;
};

}  // namespace livechat::bench
