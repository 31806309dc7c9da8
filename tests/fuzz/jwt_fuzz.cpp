// libFuzzer target: JWT parsing (auth::token_service::verify). The first byte picks what the
// rest of the input becomes: the whole token, or the header, the payload or the signature of a
// token we signed, spliced in base64url. verify() must never crash, hang or trip a sanitizer,
// and must accept a token only when what was spliced in is exactly what was there: nobody
// without the key makes a token we accept.

#include <sodium.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/token_service.hpp"

namespace {

using namespace livechat::auth;

void fail(const char* what) {
  std::fprintf(stderr, "jwt_fuzz: %s\n", what);
  std::abort();
}

std::string base64url(std::string_view bytes) {
  std::string encoded(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(encoded.find('\0'));
  return encoded;
}

const token_service& service() {
  static const token_service tokens{std::string(32, 'k'), std::chrono::hours(1),
                                    std::chrono::hours(24)};
  return tokens;
}

// A token signed with our key, issued at a fixed instant so that runs repeat.
const livechat::model::timestamp issued_at = livechat::model::from_epoch_ms(1'700'000'000'000);
const livechat::model::timestamp checked_at = issued_at + std::chrono::minutes(1);

const std::string& signed_token() {
  static const std::string token = service().issue("alice", token_type::access, issued_at).token;
  return token;
}

void verify_both_types(std::string_view token) {
  for (const auto type : {token_type::access, token_type::refresh}) {
    (void)service().verify(token, type, checked_at);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (sodium_init() < 0) fail("libsodium did not initialize");
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string& original = signed_token();
  const auto first_dot = original.find('.');
  const auto second_dot = original.find('.', first_dot + 1);
  const std::string parts[3] = {original.substr(0, first_dot),
                                original.substr(first_dot + 1, second_dot - first_dot - 1),
                                original.substr(second_dot + 1)};
  const unsigned mode = data[0] % 4;
  if (mode == 0) {
    verify_both_types(input);  // the input as the whole token
    return 0;
  }
  // Splice the input (as raw JSON or signature bytes, base64url-encoded) into the signed token.
  const std::size_t part = mode - 1;
  std::string spliced_parts[3] = {parts[0], parts[1], parts[2]};
  spliced_parts[part] = base64url(input);
  const std::string token = spliced_parts[0] + "." + spliced_parts[1] + "." + spliced_parts[2];
  verify_both_types(token);
  if (service().verify(token, token_type::access, checked_at) && spliced_parts[part] != parts[part]) {
    fail("a token we did not sign was accepted");
  }
  return 0;
}
