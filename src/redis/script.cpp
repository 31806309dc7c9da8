#include "redis/script.hpp"

#include <openssl/sha.h>

namespace livechat::redis {

script::script(std::string_view name, std::string_view source) : name_(name), source_(source) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source.data()), source.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  sha1_.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    sha1_.push_back(hex[byte >> 4]);
    sha1_.push_back(hex[byte & 0xf]);
  }
}

}  // namespace livechat::redis
