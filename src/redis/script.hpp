#pragma once
// A Lua script run with EVALSHA: its source and the SHA-1 Redis knows it by.

#include <string>
#include <string_view>

namespace livechat::redis {

class script {
 public:
  /// `source` must outlive the script (the embedded scripts are static).
  script(std::string_view name, std::string_view source);

  std::string_view name() const { return name_; }
  std::string_view source() const { return source_; }
  /// Lowercase hex SHA-1 of the source, as SCRIPT LOAD answers it.
  const std::string& sha1() const { return sha1_; }

 private:
  std::string_view name_;
  std::string_view source_;
  std::string sha1_;
};

}  // namespace livechat::redis
