#include "store/postgres_store.hpp"

#include <algorithm>
#include <type_traits>

#include "store/postgres/array_literal.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/transaction.hpp"
#include "store/row_window.hpp"

namespace livechat::store {
namespace {

using postgres::connection;
using postgres::result;
using postgres::transaction;

// Column lists and the readers that go with them: keep each pair in step.
constexpr std::string_view room_columns =
    "room_id, name, creator, password_hash, created_at, member_count, closed";

model::room read_room(const result& rows, int row) {
  model::room room;
  room.id = rows.text(row, 0);
  room.name = rows.text(row, 1);
  room.creator = rows.text(row, 2);
  room.password_hash = rows.text(row, 3);
  room.created_at = model::from_epoch_ms(rows.int64(row, 4));
  room.member_count = rows.int64(row, 5);
  room.closed = rows.boolean(row, 6);
  return room;
}

std::vector<model::room> read_rooms(const result& rows) {
  std::vector<model::room> rooms;
  rooms.reserve(static_cast<std::size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) rooms.push_back(read_room(rows, row));
  return rooms;
}

constexpr std::string_view message_columns =
    "room_id, message_id, sender, contents, sent_at, nickname, profile_img_url";

std::vector<model::message> read_messages(const result& rows) {
  std::vector<model::message> messages;
  messages.reserve(static_cast<std::size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) {
    model::message& message = messages.emplace_back();
    message.room_id = rows.text(row, 0);
    message.id = rows.int64(row, 1);
    message.sender = rows.text(row, 2);
    message.contents = rows.text(row, 3);
    message.sent_at = model::from_epoch_ms(rows.int64(row, 4));
    message.nickname = rows.text(row, 5);
    message.profile_img_url = rows.text(row, 6);
  }
  return messages;
}

// Case folding of ASCII letters only, as the contract asks, whatever the database's locale
// (lower() would fold 'Ä' too under a UTF-8 locale). strpos() takes the filter literally, so
// LIKE's '%', '_' and '\' need no escaping.
constexpr std::string_view name_matches =
    "($1 = '' OR strpos(translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
    "'abcdefghijklmnopqrstuvwxyz'), translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
    "'abcdefghijklmnopqrstuvwxyz')) > 0)";

}  // namespace

postgres_store::postgres_store(const std::string& url, std::size_t connections)
    : pool_(url, connections) {
  auto database = pool_.acquire();
  postgres::migrate(*database);
}

template <typename Work>
auto postgres_store::single(Work&& work) {
  auto database = pool_.acquire();
  return work(*database);
}

template <typename Work>
auto postgres_store::read_snapshot(Work&& work) {
  auto database = pool_.acquire();
  transaction snapshot{*database, transaction::kind::snapshot};
  auto outcome = work(*database);
  snapshot.commit();
  return outcome;
}

template <typename Work>
auto postgres_store::write(Work&& work) {
  auto database = pool_.acquire();
  transaction changes{*database, transaction::kind::write};
  if constexpr (std::is_void_v<std::invoke_result_t<Work&, connection&>>) {
    work(*database);
    changes.commit();
  } else {
    auto outcome = work(*database);
    changes.commit();
    return outcome;
  }
}

// --- users ---------------------------------------------------------------------------------

bool postgres_store::create_user(const model::user& user) {
  return single([&](connection& database) {
    return database
               .run("INSERT INTO users (user_id, password_hash, created_at) VALUES ($1, $2, $3) "
                    "ON CONFLICT (user_id) DO NOTHING",
                    user.user_id, user.password_hash, model::to_epoch_ms(user.created_at))
               .affected() == 1;
  });
}

std::optional<model::user> postgres_store::find_user(std::string_view user_id) {
  return single([&](connection& database) -> std::optional<model::user> {
    const result row = database.run(
        "SELECT user_id, password_hash, created_at FROM users WHERE user_id = $1", user_id);
    if (row.rows() == 0) return std::nullopt;
    return model::user{row.text(0, 0), row.text(0, 1), model::from_epoch_ms(row.int64(0, 2))};
  });
}

// --- refresh tokens ------------------------------------------------------------------------

void postgres_store::save_refresh_token(std::string_view token_id, std::string_view user_id,
                                        model::timestamp expires_at) {
  single([&](connection& database) {
    database.run(
        "INSERT INTO refresh_tokens (token_id, user_id, expires_at, family_id) "
        "VALUES ($1, $2, $3, $1)",
        token_id, user_id, model::to_epoch_ms(expires_at));
  });
}

refresh_outcome postgres_store::rotate_refresh_token(std::string_view token_id,
                                                     std::string_view next_token_id,
                                                     model::timestamp next_expires_at,
                                                     model::timestamp now) {
  return write([&](connection& database) {
    // A concurrent caller waits for our row lock, then re-reads the row (READ COMMITTED does so
    // for UPDATE), finds it spent, and revokes the family with the successor we committed.
    const result spent = database.run(
        "UPDATE refresh_tokens SET spent = true "
        "WHERE token_id = $1 AND NOT spent AND expires_at > $2 RETURNING user_id, family_id",
        token_id, model::to_epoch_ms(now));
    if (spent.rows() == 1) {
      database.run(
          "INSERT INTO refresh_tokens (token_id, user_id, expires_at, family_id) "
          "VALUES ($1, $2, $3, $4)",
          next_token_id, spent.text(0, 0), model::to_epoch_ms(next_expires_at), spent.text(0, 1));
      return refresh_outcome::rotated;
    }
    const result found =
        database.run("SELECT family_id, spent FROM refresh_tokens WHERE token_id = $1", token_id);
    if (found.rows() == 0 || !found.boolean(0, 1)) return refresh_outcome::rejected;
    database.run("UPDATE refresh_tokens SET spent = true WHERE family_id = $1 AND NOT spent",
                 found.text(0, 0));
    return refresh_outcome::reused;
  });
}

// --- chat rooms ----------------------------------------------------------------------------

void postgres_store::create_room(const model::room& room) {
  write([&](connection& database) {
    const std::int64_t created_at = model::to_epoch_ms(room.created_at);
    database.run(
        "INSERT INTO rooms (room_id, name, creator, password_hash, created_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        room.id, room.name, room.creator, room.password_hash, created_at);
    // The membership trigger brings member_count to 1.
    database.run("INSERT INTO room_members (room_id, user_id, joined_at) VALUES ($1, $2, $3)",
                 room.id, room.creator, created_at);
  });
}

std::optional<model::room> postgres_store::find_room(std::string_view room_id) {
  static const std::string sql =
      "SELECT " + std::string(room_columns) + " FROM rooms WHERE room_id = $1";
  return single([&](connection& database) -> std::optional<model::room> {
    const result row = database.run(sql, room_id);
    if (row.rows() == 0) return std::nullopt;
    return read_room(row, 0);
  });
}

room_page postgres_store::list_rooms(std::string_view name_filter, page_request page) {
  static const std::string count_sql =
      "SELECT count(*) FROM rooms WHERE " + std::string(name_matches);
  static const std::string page_sql = "SELECT " + std::string(room_columns) +
                                      " FROM rooms WHERE " + std::string(name_matches) +
                                      " ORDER BY created_at DESC, room_id LIMIT $2 OFFSET $3";
  // One snapshot, so that total and rooms agree.
  return read_snapshot([&](connection& database) {
    room_page found;
    found.total = database.run(count_sql, name_filter).int64(0, 0);
    if (const auto window = window_of(page)) {
      found.rooms = read_rooms(database.run(page_sql, name_filter, window->limit, window->offset));
    }
    return found;
  });
}

room_page postgres_store::list_member_rooms(std::string_view user_id, page_request page) {
  static const std::string page_sql =
      "SELECT " + std::string(room_columns) +
      " FROM room_members JOIN rooms USING (room_id) WHERE user_id = $1"
      " ORDER BY created_at DESC, room_id LIMIT $2 OFFSET $3";
  return read_snapshot([&](connection& database) {
    room_page found;
    found.total =
        database.run("SELECT count(*) FROM room_members WHERE user_id = $1", user_id).int64(0, 0);
    if (const auto window = window_of(page)) {
      found.rooms = read_rooms(database.run(page_sql, user_id, window->limit, window->offset));
    }
    return found;
  });
}

bool postgres_store::is_member(std::string_view room_id, std::string_view user_id) {
  return single([&](connection& database) {
    return database
               .run("SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2", room_id,
                    user_id)
               .rows() == 1;
  });
}

join_outcome postgres_store::add_member(std::string_view room_id, std::string_view user_id) {
  return write([&](connection& database) {
    // The room's row stays locked until the commit: a close (remove_member by the creator,
    // here or on another node) waits for this join, or this join waits for it and sees closed.
    // The same lock the member-count trigger needs next, so joiners never deadlock upgrading.
    const result room = database.run(
        "SELECT closed FROM rooms WHERE room_id = $1 FOR NO KEY UPDATE", room_id);
    if (room.rows() == 0) return join_outcome::room_not_found;
    if (room.boolean(0, 0)) return join_outcome::room_closed;
    const result inserted = database.run(
        "INSERT INTO room_members (room_id, user_id, joined_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (room_id, user_id) DO NOTHING",
        room_id, user_id, model::to_epoch_ms(model::now()));
    return inserted.affected() == 1 ? join_outcome::joined : join_outcome::already_member;
  });
}

exit_outcome postgres_store::remove_member(std::string_view room_id, std::string_view user_id) {
  return write([&](connection& database) {
    const result room = database.run(
        "SELECT creator FROM rooms WHERE room_id = $1 FOR NO KEY UPDATE", room_id);
    if (room.rows() == 0) return exit_outcome::room_not_found;
    const result deleted = database.run(
        "DELETE FROM room_members WHERE room_id = $1 AND user_id = $2", room_id, user_id);
    if (deleted.affected() == 0) return exit_outcome::not_member;
    if (room.text(0, 0) != user_id) return exit_outcome::exited;
    database.run("UPDATE rooms SET closed = true WHERE room_id = $1", room_id);
    return exit_outcome::exited_and_closed;
  });
}

// --- messages ------------------------------------------------------------------------------

void postgres_store::append_messages(std::span<const model::message> messages) {
  if (messages.empty()) return;
  // The whole batch is one statement (so one round trip and one transaction): each column
  // travels as an array, unnest() turns the arrays back into rows.
  postgres::array_literal room_ids, ids, senders, contents, sent_at, nicknames, images;
  for (const model::message& message : messages) {
    room_ids.add(message.room_id);
    ids.add(message.id);
    senders.add(message.sender);
    contents.add(message.contents);
    sent_at.add(model::to_epoch_ms(message.sent_at));
    nicknames.add(message.nickname);
    images.add(message.profile_img_url);
  }
  single([&](connection& database) {
    database.run(
        "INSERT INTO messages (room_id, message_id, sender, contents, sent_at, nickname, "
        "profile_img_url) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], "
        "$4::text[], $5::bigint[], $6::text[], $7::text[]) "
        "ON CONFLICT (room_id, message_id) DO NOTHING",
        room_ids.str(), ids.str(), senders.str(), contents.str(), sent_at.str(), nicknames.str(),
        images.str());
  });
}

std::int64_t postgres_store::last_message_id(std::string_view room_id) {
  return single([&](connection& database) {
    return database
        .run("SELECT coalesce(max(message_id), 0) FROM messages WHERE room_id = $1", room_id)
        .int64(0, 0);
  });
}

std::vector<model::message> postgres_store::messages_after(std::string_view room_id,
                                                           std::int64_t after_id,
                                                           std::int64_t limit) {
  static const std::string sql = "SELECT " + std::string(message_columns) +
                                 " FROM messages WHERE room_id = $1 AND message_id > $2"
                                 " ORDER BY message_id LIMIT $3";
  if (limit <= 0) return {};
  return single([&](connection& database) {
    return read_messages(database.run(sql, room_id, after_id, limit));
  });
}

std::vector<model::message> postgres_store::messages_before(std::string_view room_id,
                                                            std::int64_t before_id,
                                                            std::int64_t limit) {
  // Walk back from before_id to find the last `limit`, then hand them out ascending.
  static const std::string sql = "SELECT " + std::string(message_columns) +
                                 " FROM messages WHERE room_id = $1 AND message_id < $2"
                                 " ORDER BY message_id DESC LIMIT $3";
  if (limit <= 0) return {};
  return single([&](connection& database) {
    std::vector<model::message> found = read_messages(database.run(sql, room_id, before_id, limit));
    std::reverse(found.begin(), found.end());
    return found;
  });
}

// --- live-stream sessions ------------------------------------------------------------------

bool postgres_store::end_session(std::string_view session_id, model::timestamp ended_at) {
  return single([&](connection& database) {
    return database
               .run("INSERT INTO ended_sessions (session_id, ended_at) VALUES ($1, $2) "
                    "ON CONFLICT (session_id) DO NOTHING",
                    session_id, model::to_epoch_ms(ended_at))
               .affected() == 1;
  });
}

bool postgres_store::is_session_ended(std::string_view session_id) {
  return single([&](connection& database) {
    return database.run("SELECT 1 FROM ended_sessions WHERE session_id = $1", session_id)
               .rows() == 1;
  });
}

// --- operations ----------------------------------------------------------------------------

bool postgres_store::healthy() {
  try {
    return single([](connection& database) {
      return database.run("SELECT 1").int64(0, 0) == 1;
    });
  } catch (...) {
    return false;
  }
}

}  // namespace livechat::store
