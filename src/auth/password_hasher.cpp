#include "auth/password_hasher.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace livechat::auth {
namespace {

// sodium_init() is itself thread-safe, but calling it once keeps it off the hot path.
void ensure_sodium_initialized() {
  static const bool initialized = sodium_init() >= 0;
  if (!initialized) throw std::runtime_error("libsodium could not be initialized");
}

}  // namespace

std::string hash_password(std::string_view password) {
  ensure_sodium_initialized();
  std::array<char, crypto_pwhash_STRBYTES> encoded{};
  // The exact bytes are hashed, length given: a password with a NUL byte is not truncated.
  if (crypto_pwhash_str_alg(encoded.data(), password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // The only failure with valid limits is the allocation of the working memory.
    throw std::runtime_error("password hashing failed (out of memory)");
  }
  return std::string(encoded.data());
}

bool verify_password(std::string_view password, std::string_view encoded_hash) {
  // libsodium takes the hash as a NUL-terminated buffer of STRBYTES: anything longer, or with a
  // NUL inside, cannot be one of ours.
  if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_STRBYTES ||
      encoded_hash.find('\0') != std::string_view::npos) {
    return false;
  }
  ensure_sodium_initialized();
  std::array<char, crypto_pwhash_STRBYTES> terminated{};
  encoded_hash.copy(terminated.data(), encoded_hash.size());
  return crypto_pwhash_str_verify(terminated.data(), password.data(), password.size()) == 0;
}

}  // namespace livechat::auth
