#include "store/sqlite/migrations.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "store/sqlite/transaction.hpp"
#include "store/store.hpp"

namespace livechat::store::sqlite {
namespace {

// Times are milliseconds since the Unix epoch (UTC); booleans are 0 or 1.
constexpr const char* version_1 = R"sql(
CREATE TABLE users (
  user_id        TEXT PRIMARY KEY,
  password_hash  TEXT NOT NULL,
  created_at     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE refresh_tokens (
  token_id    TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users (user_id),
  expires_at  INTEGER NOT NULL,
  spent       INTEGER NOT NULL DEFAULT 0 CHECK (spent IN (0, 1))
) WITHOUT ROWID;

-- member_count is kept by the triggers below, inside the transaction that changes the
-- membership, so it always equals the number of room_members rows.
CREATE TABLE rooms (
  room_id        TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  creator        TEXT NOT NULL REFERENCES users (user_id),
  password_hash  TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  closed         INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
  member_count   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Lists are newest first, ties by id.
CREATE INDEX rooms_by_newest ON rooms (created_at DESC, room_id);

CREATE TABLE room_members (
  room_id    TEXT NOT NULL REFERENCES rooms (room_id),
  user_id    TEXT NOT NULL REFERENCES users (user_id),
  joined_at  INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

-- "Rooms of a member".
CREATE INDEX room_members_by_user ON room_members (user_id, room_id);

CREATE TRIGGER room_members_count_join AFTER INSERT ON room_members BEGIN
  UPDATE rooms SET member_count = member_count + 1 WHERE room_id = NEW.room_id;
END;

CREATE TRIGGER room_members_count_exit AFTER DELETE ON room_members BEGIN
  UPDATE rooms SET member_count = member_count - 1 WHERE room_id = OLD.room_id;
END;

-- No foreign keys here: a live-stream session's messages belong to no room row, and their
-- sender is a name the tenant gives, not a user.
CREATE TABLE messages (
  room_id          TEXT NOT NULL,
  message_id       INTEGER NOT NULL,
  sender           TEXT NOT NULL,
  contents         TEXT NOT NULL,
  sent_at          INTEGER NOT NULL,
  nickname         TEXT NOT NULL DEFAULT '',
  profile_img_url  TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (room_id, message_id)
) WITHOUT ROWID;
)sql";

// Live-stream sessions exist implicitly (from their first message or listener); only their end
// must outlive the process, so that a publish after it is refused after a restart too.
constexpr const char* version_2 = R"sql(
CREATE TABLE ended_sessions (
  session_id  TEXT PRIMARY KEY,
  ended_at    INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// A refresh token's family is the sign-in it descends from (the id of that sign-in's token):
// presenting a spent token revokes the whole family. Tokens issued before this each stand alone.
constexpr const char* version_3 = R"sql(
ALTER TABLE refresh_tokens ADD COLUMN family_id TEXT NOT NULL DEFAULT '';
UPDATE refresh_tokens SET family_id = token_id;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
)sql";

constexpr std::array<migration, 3> all_migrations{{
    {"users, refresh tokens, rooms, memberships, messages", version_1},
    {"ended live-stream sessions", version_2},
    {"refresh token families", version_3},
}};

std::int64_t read_version(connection& database) {
  auto query = database.prepare("PRAGMA user_version");
  return query.step() ? query.column_int64(0) : 0;
}

}  // namespace

std::span<const migration> schema_migrations() { return all_migrations; }

void migrate(connection& database, std::span<const migration> migrations) {
  for (;;) {
    // The version is read under the write lock, so two processes opening a fresh file at
    // once cannot both apply the same migration.
    transaction work{database, transaction::kind::write};
    const std::int64_t version = read_version(database);
    if (!apply_next_migration(database, migrations, version, "sqlite")) {
      work.commit();
      return;
    }
    database.execute("PRAGMA user_version = " + std::to_string(version + 1));
    work.commit();
  }
}

}  // namespace livechat::store::sqlite
