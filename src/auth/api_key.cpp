#include "auth/api_key.hpp"

#include <sodium.h>

namespace livechat::auth {

namespace {

std::array<unsigned char, 32> digest_of(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  return digest;
}

}  // namespace

api_key::api_key(std::string_view key) : configured_(!key.empty()), digest_(digest_of(key)) {}

bool api_key::matches(std::string_view given) const {
  if (!configured_) return false;
  const auto candidate = digest_of(given);
  return sodium_memcmp(candidate.data(), digest_.data(), digest_.size()) == 0;
}

}  // namespace livechat::auth
