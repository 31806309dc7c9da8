#pragma once
// The tenant server API's key (LIVECHAT_API_KEY), compared in constant time.

#include <array>
#include <string>
#include <string_view>

namespace livechat::auth {

class api_key {
 public:
  /// An empty key means the tenant API is off.
  explicit api_key(std::string_view key);

  bool configured() const { return configured_; }

  /// True when `given` is the key. Takes the same time whatever `given` is: both sides are
  /// hashed first, so neither length nor content leaks.
  bool matches(std::string_view given) const;

 private:
  bool configured_;
  std::array<unsigned char, 32> digest_{};
};

}  // namespace livechat::auth
