#include "store/sqlite_store.hpp"

#include <algorithm>
#include <type_traits>

#include "store/row_window.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/statement.hpp"
#include "store/sqlite/transaction.hpp"

namespace livechat::store {
namespace {

using sqlite::connection;
using sqlite::statement;

// Column lists and the readers that go with them: keep each pair in step.
constexpr std::string_view room_columns =
    "room_id, name, creator, password_hash, created_at, member_count, closed";

model::room read_room(const statement& row) {
  model::room room;
  room.id = row.column_text(0);
  room.name = row.column_text(1);
  room.creator = row.column_text(2);
  room.password_hash = row.column_text(3);
  room.created_at = model::from_epoch_ms(row.column_int64(4));
  room.member_count = row.column_int64(5);
  room.closed = row.column_int64(6) != 0;
  return room;
}

constexpr std::string_view message_columns =
    "room_id, message_id, sender, contents, sent_at, nickname, profile_img_url";

model::message read_message(const statement& row) {
  model::message message;
  message.room_id = row.column_text(0);
  message.id = row.column_int64(1);
  message.sender = row.column_text(2);
  message.contents = row.column_text(3);
  message.sent_at = model::from_epoch_ms(row.column_int64(4));
  message.nickname = row.column_text(5);
  message.profile_img_url = row.column_text(6);
  return message;
}

}  // namespace

sqlite_store::sqlite_store(const std::string& path, std::size_t connections)
    : pool_(path, connections) {
  auto database = pool_.acquire();
  sqlite::migrate(*database);
}

template <typename Work>
auto sqlite_store::read(Work&& work) {
  auto database = pool_.acquire();
  return work(*database);
}

template <typename Work>
auto sqlite_store::read_snapshot(Work&& work) {
  auto database = pool_.acquire();
  sqlite::transaction snapshot{*database, sqlite::transaction::kind::read};
  auto result = work(*database);
  snapshot.commit();
  return result;
}

template <typename Work>
auto sqlite_store::write(Work&& work) {
  auto database = pool_.acquire();
  std::scoped_lock serialized{write_mutex_};
  sqlite::transaction changes{*database, sqlite::transaction::kind::write};
  if constexpr (std::is_void_v<std::invoke_result_t<Work&, connection&>>) {
    work(*database);
    changes.commit();
  } else {
    auto result = work(*database);
    changes.commit();
    return result;
  }
}

// --- users ---------------------------------------------------------------------------------

bool sqlite_store::create_user(const model::user& user) {
  return write([&](connection& database) {
    database
        .prepare(
            "INSERT INTO users (user_id, password_hash, created_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (user_id) DO NOTHING")
        .bind_all(user.user_id, user.password_hash, model::to_epoch_ms(user.created_at))
        .run();
    return database.changes() == 1;
  });
}

std::optional<model::user> sqlite_store::find_user(std::string_view user_id) {
  return read([&](connection& database) -> std::optional<model::user> {
    auto row = database.prepare(
        "SELECT user_id, password_hash, created_at FROM users WHERE user_id = ?1");
    if (!row.bind_all(user_id).step()) return std::nullopt;
    return model::user{row.column_text(0), row.column_text(1),
                       model::from_epoch_ms(row.column_int64(2))};
  });
}

// --- refresh tokens ------------------------------------------------------------------------

void sqlite_store::save_refresh_token(std::string_view token_id, std::string_view user_id,
                                      model::timestamp expires_at) {
  write([&](connection& database) {
    database
        .prepare(
            "INSERT INTO refresh_tokens (token_id, user_id, expires_at, family_id) "
            "VALUES (?1, ?2, ?3, ?1)")
        .bind_all(token_id, user_id, model::to_epoch_ms(expires_at))
        .run();
  });
}

refresh_outcome sqlite_store::rotate_refresh_token(std::string_view token_id,
                                                   std::string_view next_token_id,
                                                   model::timestamp next_expires_at,
                                                   model::timestamp now) {
  // All under the write lock: of two concurrent callers, the second finds spent = 1 and, since
  // the first committed its successor too, revokes it with the rest of the family.
  return write([&](connection& database) {
    database
        .prepare(
            "UPDATE refresh_tokens SET spent = 1 "
            "WHERE token_id = ?1 AND spent = 0 AND expires_at > ?2")
        .bind_all(token_id, model::to_epoch_ms(now))
        .run();
    if (database.changes() == 1) {
      database
          .prepare(
              "INSERT INTO refresh_tokens (token_id, user_id, expires_at, family_id) "
              "SELECT ?2, user_id, ?3, family_id FROM refresh_tokens WHERE token_id = ?1")
          .bind_all(token_id, next_token_id, model::to_epoch_ms(next_expires_at))
          .run();
      return refresh_outcome::rotated;
    }
    auto found =
        database.prepare("SELECT family_id, spent FROM refresh_tokens WHERE token_id = ?1");
    found.bind_all(token_id);
    if (!found.step() || found.column_int64(1) == 0) return refresh_outcome::rejected;
    const std::string family = found.column_text(0);
    database.prepare("UPDATE refresh_tokens SET spent = 1 WHERE family_id = ?1 AND spent = 0")
        .bind_all(family)
        .run();
    return refresh_outcome::reused;
  });
}

// --- chat rooms ----------------------------------------------------------------------------

void sqlite_store::create_room(const model::room& room) {
  write([&](connection& database) {
    const std::int64_t created_at = model::to_epoch_ms(room.created_at);
    database
        .prepare(
            "INSERT INTO rooms (room_id, name, creator, password_hash, created_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind_all(room.id, room.name, room.creator, room.password_hash, created_at)
        .run();
    // The membership trigger brings member_count to 1.
    database.prepare("INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?1, ?2, ?3)")
        .bind_all(room.id, room.creator, created_at)
        .run();
  });
}

std::optional<model::room> sqlite_store::find_room(std::string_view room_id) {
  return read([&](connection& database) -> std::optional<model::room> {
    static const std::string sql =
        "SELECT " + std::string(room_columns) + " FROM rooms WHERE room_id = ?1";
    auto row = database.prepare(sql);
    if (!row.bind_all(room_id).step()) return std::nullopt;
    return read_room(row);
  });
}

room_page sqlite_store::list_rooms(std::string_view name_filter, page_request page) {
  // lower() folds ASCII only, which is what the contract asks; instr() takes the filter
  // literally, so '%' and '_' need no escaping.
  static const std::string count_sql =
      "SELECT count(*) FROM rooms WHERE ?1 = '' OR instr(lower(name), lower(?1)) > 0";
  static const std::string page_sql =
      "SELECT " + std::string(room_columns) +
      " FROM rooms WHERE ?1 = '' OR instr(lower(name), lower(?1)) > 0"
      " ORDER BY created_at DESC, room_id LIMIT ?2 OFFSET ?3";
  // One snapshot, so that total and rooms agree.
  return read_snapshot([&](connection& database) {
    room_page result;
    {
      auto count = database.prepare(count_sql);
      if (count.bind_all(name_filter).step()) result.total = count.column_int64(0);
    }
    if (const auto window = window_of(page)) {
      auto rows = database.prepare(page_sql);
      rows.bind_all(name_filter, window->limit, window->offset);
      while (rows.step()) result.rooms.push_back(read_room(rows));
    }
    return result;
  });
}

room_page sqlite_store::list_member_rooms(std::string_view user_id, page_request page) {
  static const std::string page_sql =
      "SELECT " + std::string(room_columns) +
      " FROM room_members JOIN rooms USING (room_id) WHERE user_id = ?1"
      " ORDER BY created_at DESC, room_id LIMIT ?2 OFFSET ?3";
  return read_snapshot([&](connection& database) {
    room_page result;
    {
      auto count = database.prepare("SELECT count(*) FROM room_members WHERE user_id = ?1");
      if (count.bind_all(user_id).step()) result.total = count.column_int64(0);
    }
    if (const auto window = window_of(page)) {
      auto rows = database.prepare(page_sql);
      rows.bind_all(user_id, window->limit, window->offset);
      while (rows.step()) result.rooms.push_back(read_room(rows));
    }
    return result;
  });
}

bool sqlite_store::is_member(std::string_view room_id, std::string_view user_id) {
  return read([&](connection& database) {
    return database.prepare("SELECT 1 FROM room_members WHERE room_id = ?1 AND user_id = ?2")
        .bind_all(room_id, user_id)
        .step();
  });
}

join_outcome sqlite_store::add_member(std::string_view room_id, std::string_view user_id) {
  return write([&](connection& database) {
    {
      auto room = database.prepare("SELECT closed FROM rooms WHERE room_id = ?1");
      if (!room.bind_all(room_id).step()) return join_outcome::room_not_found;
      if (room.column_int64(0) != 0) return join_outcome::room_closed;
    }
    database
        .prepare(
            "INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (room_id, user_id) DO NOTHING")
        .bind_all(room_id, user_id, model::to_epoch_ms(model::now()))
        .run();
    return database.changes() == 1 ? join_outcome::joined : join_outcome::already_member;
  });
}

exit_outcome sqlite_store::remove_member(std::string_view room_id, std::string_view user_id) {
  return write([&](connection& database) {
    std::string creator;
    {
      auto room = database.prepare("SELECT creator FROM rooms WHERE room_id = ?1");
      if (!room.bind_all(room_id).step()) return exit_outcome::room_not_found;
      creator = room.column_text(0);
    }
    database.prepare("DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2")
        .bind_all(room_id, user_id)
        .run();
    if (database.changes() == 0) return exit_outcome::not_member;
    if (creator != user_id) return exit_outcome::exited;
    database.prepare("UPDATE rooms SET closed = 1 WHERE room_id = ?1").bind_all(room_id).run();
    return exit_outcome::exited_and_closed;
  });
}

// --- messages ------------------------------------------------------------------------------

void sqlite_store::append_messages(std::span<const model::message> messages) {
  if (messages.empty()) return;
  write([&](connection& database) {
    for (const model::message& message : messages) {
      database
          .prepare(
              "INSERT INTO messages (room_id, message_id, sender, contents, sent_at, nickname, "
              "profile_img_url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
              "ON CONFLICT (room_id, message_id) DO NOTHING")
          .bind_all(message.room_id, message.id, message.sender, message.contents,
                    model::to_epoch_ms(message.sent_at), message.nickname,
                    message.profile_img_url)
          .run();
    }
  });
}

std::int64_t sqlite_store::last_message_id(std::string_view room_id) {
  return read([&](connection& database) -> std::int64_t {
    auto row = database.prepare(
        "SELECT message_id FROM messages WHERE room_id = ?1 ORDER BY message_id DESC LIMIT 1");
    return row.bind_all(room_id).step() ? row.column_int64(0) : 0;
  });
}

std::vector<model::message> sqlite_store::messages_after(std::string_view room_id,
                                                         std::int64_t after_id,
                                                         std::int64_t limit) {
  static const std::string sql = "SELECT " + std::string(message_columns) +
                                 " FROM messages WHERE room_id = ?1 AND message_id > ?2"
                                 " ORDER BY message_id LIMIT ?3";
  if (limit <= 0) return {};
  return read([&](connection& database) {
    std::vector<model::message> result;
    auto rows = database.prepare(sql);
    rows.bind_all(room_id, after_id, limit);
    while (rows.step()) result.push_back(read_message(rows));
    return result;
  });
}

std::vector<model::message> sqlite_store::messages_before(std::string_view room_id,
                                                          std::int64_t before_id,
                                                          std::int64_t limit) {
  // Walk back from before_id to find the last `limit`, then hand them out ascending.
  static const std::string sql = "SELECT " + std::string(message_columns) +
                                 " FROM messages WHERE room_id = ?1 AND message_id < ?2"
                                 " ORDER BY message_id DESC LIMIT ?3";
  if (limit <= 0) return {};
  return read([&](connection& database) {
    std::vector<model::message> result;
    auto rows = database.prepare(sql);
    rows.bind_all(room_id, before_id, limit);
    while (rows.step()) result.push_back(read_message(rows));
    std::reverse(result.begin(), result.end());
    return result;
  });
}

// --- operations ----------------------------------------------------------------------------

// --- live-stream sessions ------------------------------------------------------------------

bool sqlite_store::end_session(std::string_view session_id, model::timestamp ended_at) {
  return write([&](connection& database) {
    database
        .prepare(
            "INSERT INTO ended_sessions (session_id, ended_at) VALUES (?1, ?2) "
            "ON CONFLICT (session_id) DO NOTHING")
        .bind_all(session_id, model::to_epoch_ms(ended_at))
        .run();
    return database.changes() == 1;
  });
}

bool sqlite_store::is_session_ended(std::string_view session_id) {
  return read([&](connection& database) {
    return database.prepare("SELECT 1 FROM ended_sessions WHERE session_id = ?1")
        .bind_all(session_id)
        .step();
  });
}

// --- operations ----------------------------------------------------------------------------

bool sqlite_store::healthy() {
  try {
    return read([](connection& database) {
      auto row = database.prepare("SELECT 1");
      return row.step() && row.column_int64(0) == 1;
    });
  } catch (...) {
    return false;
  }
}

}  // namespace livechat::store
