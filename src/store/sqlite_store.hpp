#pragma once
// The store on an SQLite file: embedded mode's database.
//
// Durability: WAL journal with synchronous=FULL, so a call that returned has reached the disk.
// Concurrency: a small pool of connections serves readers in parallel; writers take one
// in-process lock and then SQLite's write lock (BEGIN IMMEDIATE), so they queue instead of
// spinning on SQLITE_BUSY. Another process on the same file is waited for up to 5 s.

#include <cstddef>
#include <mutex>
#include <string>

#include "store/sqlite/connection_pool.hpp"
#include "store/store.hpp"

namespace livechat::store {

class sqlite_store final : public store {
 public:
  /// Opens or creates the database file at `path` (its directory must exist) with
  /// `connections` pooled connections, and migrates its schema to the current version. Throws
  /// store_error when the file cannot be opened, is not a database, or was written by a newer
  /// livechat.
  explicit sqlite_store(const std::string& path, std::size_t connections = 4);

  bool create_user(const model::user& user) override;
  std::optional<model::user> find_user(std::string_view user_id) override;

  void save_refresh_token(std::string_view token_id, std::string_view user_id,
                          model::timestamp expires_at) override;
  refresh_outcome rotate_refresh_token(std::string_view token_id, std::string_view next_token_id,
                                       model::timestamp next_expires_at,
                                       model::timestamp now) override;

  void create_room(const model::room& room) override;
  std::optional<model::room> find_room(std::string_view room_id) override;
  room_page list_rooms(std::string_view name_filter, page_request page) override;
  room_page list_member_rooms(std::string_view user_id, page_request page) override;
  bool is_member(std::string_view room_id, std::string_view user_id) override;
  join_outcome add_member(std::string_view room_id, std::string_view user_id) override;
  exit_outcome remove_member(std::string_view room_id, std::string_view user_id) override;

  void append_messages(std::span<const model::message> messages) override;
  std::int64_t last_message_id(std::string_view room_id) override;
  std::vector<model::message> messages_after(std::string_view room_id, std::int64_t after_id,
                                             std::int64_t limit) override;
  std::vector<model::message> messages_before(std::string_view room_id, std::int64_t before_id,
                                              std::int64_t limit) override;

  bool end_session(std::string_view session_id, model::timestamp ended_at) override;
  bool is_session_ended(std::string_view session_id) override;

  bool healthy() override;

 private:
  // Runs `work(connection&)` on a pooled connection, outside any explicit transaction.
  template <typename Work>
  auto read(Work&& work);
  // Runs `work(connection&)` in a snapshot read transaction (several reads that must agree).
  template <typename Work>
  auto read_snapshot(Work&& work);
  // Runs `work(connection&)` in a write transaction and commits it.
  template <typename Work>
  auto write(Work&& work);

  sqlite::connection_pool pool_;
  // Always taken after a connection, never before: its holder then never waits for the pool,
  // so writers queued on it cannot starve the pool into a deadlock.
  std::mutex write_mutex_;
};

}  // namespace livechat::store
