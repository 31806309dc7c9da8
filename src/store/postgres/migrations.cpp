#include "store/postgres/migrations.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "store/postgres/transaction.hpp"
#include "store/store.hpp"

namespace livechat::store::postgres {
namespace {

// The same tables as SQLite's schema (store/sqlite/migrations.cpp), in PostgreSQL's words.
// Times are milliseconds since the Unix epoch (UTC).
constexpr const char* version_1 = R"sql(
CREATE TABLE users (
  user_id        TEXT PRIMARY KEY,
  password_hash  TEXT NOT NULL,
  created_at     BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
  token_id    TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users (user_id),
  expires_at  BIGINT NOT NULL,
  spent       BOOLEAN NOT NULL DEFAULT false
);

-- member_count is kept by the trigger below, inside the transaction that changes the
-- membership, so it always equals the number of room_members rows.
CREATE TABLE rooms (
  room_id        TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  creator        TEXT NOT NULL REFERENCES users (user_id),
  password_hash  TEXT NOT NULL DEFAULT '',
  created_at     BIGINT NOT NULL,
  closed         BOOLEAN NOT NULL DEFAULT false,
  member_count   BIGINT NOT NULL DEFAULT 0
);

-- Lists are newest first, ties by id.
CREATE INDEX rooms_by_newest ON rooms (created_at DESC, room_id);

CREATE TABLE room_members (
  room_id    TEXT NOT NULL REFERENCES rooms (room_id),
  user_id    TEXT NOT NULL REFERENCES users (user_id),
  joined_at  BIGINT NOT NULL,
  PRIMARY KEY (room_id, user_id)
);

-- "Rooms of a member".
CREATE INDEX room_members_by_user ON room_members (user_id, room_id);

CREATE FUNCTION room_members_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE rooms SET member_count = member_count + 1 WHERE room_id = NEW.room_id;
  ELSE
    UPDATE rooms SET member_count = member_count - 1 WHERE room_id = OLD.room_id;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER room_members_count AFTER INSERT OR DELETE ON room_members
  FOR EACH ROW EXECUTE FUNCTION room_members_count();

-- No foreign keys here: a live-stream session's messages belong to no room row, and their
-- sender is a name the tenant gives, not a user.
CREATE TABLE messages (
  room_id          TEXT NOT NULL,
  message_id       BIGINT NOT NULL,
  sender           TEXT NOT NULL,
  contents         TEXT NOT NULL,
  sent_at          BIGINT NOT NULL,
  nickname         TEXT NOT NULL DEFAULT '',
  profile_img_url  TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (room_id, message_id)
);

-- Live-stream sessions exist implicitly; only their end must outlive the process.
CREATE TABLE ended_sessions (
  session_id  TEXT PRIMARY KEY,
  ended_at    BIGINT NOT NULL
);
)sql";

// A refresh token's family is the sign-in it descends from (the id of that sign-in's token):
// presenting a spent token revokes the whole family. Tokens issued before this each stand alone.
constexpr const char* version_2 = R"sql(
ALTER TABLE refresh_tokens ADD COLUMN family_id TEXT;
UPDATE refresh_tokens SET family_id = token_id;
ALTER TABLE refresh_tokens ALTER COLUMN family_id SET NOT NULL;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
)sql";

constexpr std::array<migration, 2> all_migrations{{
    {"users, refresh tokens, rooms, memberships, messages, ended sessions", version_1},
    {"refresh token families", version_2},
}};

// Any constant will do, as long as nothing else in the database locks it: "livechat" in ASCII.
constexpr const char* lock_key = "7811905206482395508";

std::int64_t read_version(connection& database) {
  const result row = database.run("SELECT version FROM livechat_schema");
  return row.rows() == 0 ? 0 : row.int64(0, 0);
}

}  // namespace

std::span<const migration> schema_migrations() { return all_migrations; }

void migrate(connection& database, std::span<const migration> migrations) {
  for (;;) {
    transaction work{database, transaction::kind::write};
    // Held until this transaction ends: a second node starting now waits here, then finds the
    // version this one wrote.
    database.execute(std::string("SELECT pg_advisory_xact_lock(") + lock_key + ")");
    database.execute(
        "CREATE TABLE IF NOT EXISTS livechat_schema (version BIGINT NOT NULL);"
        "INSERT INTO livechat_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM livechat_schema)");
    const std::int64_t version = read_version(database);
    if (!apply_next_migration(database, migrations, version, "postgres")) {
      work.commit();
      return;
    }
    database.execute("UPDATE livechat_schema SET version = " + std::to_string(version + 1));
    work.commit();
  }
}

}  // namespace livechat::store::postgres
