#pragma once
// Records and helpers shared by the store tests (contract, SQLite and PostgreSQL).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "model/records.hpp"
#include "store/store.hpp"

namespace livechat::store::store_testing {

namespace fs = std::filesystem;

// A database path of its own under the system's temp directory, removed (with its WAL and
// shared-memory files) when the test ends.
class temp_database {
 public:
  temp_database() {
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("livechat-sqlite-test-" + std::to_string(random()) + std::to_string(random()) + ".db");
  }
  ~temp_database() {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      fs::remove(path_.string() + suffix, ignored);
    }
  }
  temp_database(const temp_database&) = delete;
  temp_database& operator=(const temp_database&) = delete;

  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

inline model::timestamp at_ms(std::int64_t milliseconds) {
  return model::from_epoch_ms(milliseconds);
}

// For the migration tests of both stores: refresh tokens `old-1` and `old-2` of alice, written
// before families existed, become a family each; a successor joins its parent's family.
inline void expect_premigration_tokens_are_families_of_their_own(store& store) {
  EXPECT_EQ(store.rotate_refresh_token("old-1", "new-1", at_ms(9'000), at_ms(0)),
            refresh_outcome::rotated);
  EXPECT_EQ(store.rotate_refresh_token("old-1", "thief", at_ms(9'000), at_ms(0)),
            refresh_outcome::reused);
  EXPECT_EQ(store.rotate_refresh_token("new-1", "x", at_ms(9'000), at_ms(0)),
            refresh_outcome::reused)
      << "the successor joined old-1's family";
  EXPECT_EQ(store.rotate_refresh_token("old-2", "new-2", at_ms(9'000), at_ms(0)),
            refresh_outcome::rotated)
      << "old-2 was never of old-1's family";
}

// Spends a refresh token as a refresh would (recording a successor of a fresh id); true when it
// rotated.
inline bool spend(store& target, const std::string& token_id, model::timestamp now) {
  static std::atomic<int> successors{0};
  const std::string next = token_id + "/successor-" + std::to_string(++successors);
  return target.rotate_refresh_token(token_id, next, now + std::chrono::hours(1), now) ==
         refresh_outcome::rotated;
}

inline model::user make_user(const std::string& user_id) {
  return model::user{user_id, "$argon2id$hash-of-" + user_id, at_ms(1'700'000'000'000)};
}

inline model::room make_room(const std::string& id, const std::string& name,
                             const std::string& creator,
                             std::int64_t created_at_ms = 1'700'000'000'000,
                             const std::string& password_hash = "") {
  model::room room;
  room.id = id;
  room.name = name;
  room.creator = creator;
  room.password_hash = password_hash;
  room.created_at = at_ms(created_at_ms);
  return room;
}

inline model::message make_message(const std::string& room_id, std::int64_t id) {
  model::message message;
  message.room_id = room_id;
  message.id = id;
  message.sender = "alice";
  message.contents = "message " + std::to_string(id);
  message.sent_at = at_ms(1'700'000'000'000 + id);
  return message;
}

inline std::vector<std::int64_t> ids_of(const std::vector<model::message>& messages) {
  std::vector<std::int64_t> ids;
  for (const auto& message : messages) ids.push_back(message.id);
  return ids;
}

inline std::vector<std::string> ids_of(const room_page& page) {
  std::vector<std::string> ids;
  for (const auto& room : page.rooms) ids.push_back(room.id);
  return ids;
}

}  // namespace livechat::store::store_testing
