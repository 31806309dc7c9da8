#pragma once
// The store on a PostgreSQL database: what the nodes of a cluster share (users, tokens, rooms,
// memberships, history), and the database of a single node given DATABASE_URL=postgresql://….
//
// Durability: every call is one transaction (or one statement), committed with
// synchronous_commit on, so a call that returned is on the server's disk.
// Concurrency: a bounded pool of connections (8 by default), each used by one thread at a
// time. Rows a call must keep unchanged between its check and its write are locked (FOR NO KEY
// UPDATE), so nodes on one database serialize on the rows they share, never in the process.
// Threads: every call blocks on the network; call it from worker threads, never an I/O thread.
// When the server goes away, calls throw store_error; the first call after it returns
// connects afresh.

#include <cstddef>
#include <string>

#include "store/postgres/connection_pool.hpp"
#include "store/store.hpp"

namespace livechat::store {

class postgres_store final : public store {
 public:
  static constexpr std::size_t default_connections = 8;

  /// Connects to the database `url` names (postgresql://user:password@host:port/database) and
  /// migrates its schema to the current version. Keeps at most `connections` connections
  /// open. Throws store_error when the server cannot be reached, refuses us, or holds a schema
  /// written by a newer livechat.
  explicit postgres_store(const std::string& url, std::size_t connections = default_connections);

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
  // Runs `work(connection&)` on a pooled connection as one statement (its own transaction).
  template <typename Work>
  auto single(Work&& work);
  // Runs `work(connection&)` in a read-only snapshot (several reads that must agree).
  template <typename Work>
  auto read_snapshot(Work&& work);
  // Runs `work(connection&)` in a write transaction and commits it.
  template <typename Work>
  auto write(Work&& work);

  postgres::connection_pool pool_;
};

}  // namespace livechat::store
