#pragma once
// Password hashing with Argon2id (libsodium): slow, salted, memory-hard. Used for user
// passwords and private rooms' passwords alike.

#include <string>
#include <string_view>

namespace livechat::auth {

/// A salted Argon2id hash of `password` in libsodium's self-describing encoded form
/// (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). Takes tens of milliseconds and tens of MiB on
/// purpose: call it off the I/O threads.
std::string hash_password(std::string_view password);

/// True when `password` matches `encoded_hash` (output of hash_password). Compares in
/// constant time; a malformed hash is simply false. As slow as hash_password.
bool verify_password(std::string_view password, std::string_view encoded_hash);

}  // namespace livechat::auth
