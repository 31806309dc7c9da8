#pragma once
// The records the server keeps: users, chat rooms and messages. Plain data, shared by the
// store, the services and the wire formats.

#include <cstdint>
#include <string>

#include "model/time.hpp"

namespace livechat::model {

struct user {
  std::string user_id;
  std::string password_hash;  // Argon2id, libsodium's encoded form
  timestamp created_at;
};

struct room {
  std::string id;             // canonical lowercase UUID
  std::string name;
  std::string creator;        // user id
  std::string password_hash;  // Argon2id; empty for a public room
  timestamp created_at;
  std::int64_t member_count = 0;
  bool closed = false;

  bool is_private() const { return !password_hash.empty(); }
};

struct message {
  std::string room_id;        // a chat room's or a live-stream session's UUID
  // The room's sequence number: 1, 2, 3… without gaps. Negative for a raw Chat Sync message
  // (SPEC 6: published straight on Redis, delivered live, never kept): -n, its number n among
  // the raw messages this node delivered, which only names it on STOMP (`raw-n`).
  std::int64_t id = 0;
  std::string sender;
  std::string contents;
  timestamp sent_at;
  std::string nickname;         // empty when the tenant supplied none
  std::string profile_img_url;  // empty when the tenant supplied none
  // A raw message's arrival from Redis on this node (wall clock, so that nodes compare them):
  // billing tells nodes' deliveries of the same raw message apart by it. Unset otherwise.
  timestamp received_at;

  /// A raw Chat Sync message: no id, not in history.
  bool is_raw() const { return id < 0; }
};

}  // namespace livechat::model
