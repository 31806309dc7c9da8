#pragma once
// One RESP2 reply as a plain value, and the incremental parser that makes replies from bytes
// read off a socket (hiredis's redisReader, which owns no socket and does no I/O).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace livechat::redis {

struct reply {
  enum class kind { nil, string, status, error, integer, array };

  kind type = kind::nil;
  std::string text;        ///< string, status and error replies
  long long integer = 0;   ///< integer replies
  std::vector<reply> elements;  ///< array replies

  bool is_error() const { return type == kind::error; }
  bool is_nil() const { return type == kind::nil; }
  /// True for a status or string reply equal to `value` (`+OK`, `$2\r\nOK`).
  bool is(std::string_view value) const {
    return (type == kind::status || type == kind::string) && text == value;
  }
};

/// Feeds bytes in, takes whole replies out; a RESP error makes `next` fail for good.
class reply_reader {
 public:
  reply_reader();
  ~reply_reader();
  reply_reader(const reply_reader&) = delete;
  reply_reader& operator=(const reply_reader&) = delete;

  /// Appends bytes read from the server; false on a protocol error.
  bool feed(const char* data, std::size_t size);

  /// The next complete reply, nullopt when more bytes are needed. Sets `failed` on a protocol error.
  std::optional<reply> next(bool& failed);

  /// Forgets every byte fed so far (after a reconnect).
  void reset();

 private:
  struct reader_deleter {
    void operator()(void* reader) const;
  };
  std::unique_ptr<void, reader_deleter> reader_;
};

}  // namespace livechat::redis
