#pragma once
// What the SQL stores' migration runners share: a migration, and the step that checks a
// database's schema version and applies the next migration. Each store keeps its version its
// own way (SQLite's user_version, PostgreSQL's livechat_schema) in the same transaction.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace livechat::store {

struct migration {
  std::string_view description;
  const char* sql;  // one or more statements
};

/// With the database at schema `version`: false when it is current (nothing to do), else runs
/// the next of `migrations` on `database` and returns true (the caller then records version + 1
/// and commits). Throws store_error, prefixed with `engine`, when the database is newer than
/// `migrations` or its version is negative, and when the migration fails.
template <typename Connection>
bool apply_next_migration(Connection& database, std::span<const migration> migrations,
                          std::int64_t version, std::string_view engine) {
  const auto known = static_cast<std::int64_t>(migrations.size());
  if (version > known) {
    throw store_error(std::string(engine) + ": the database is at schema version " +
                      std::to_string(version) + ", newer than this livechat knows (" +
                      std::to_string(known) + ")");
  }
  if (version < 0) {
    throw store_error(std::string(engine) + ": the database has a negative schema version");
  }
  if (version == known) return false;
  const migration& next = migrations[static_cast<std::size_t>(version)];
  try {
    database.execute(next.sql);
  } catch (const store_error& error) {
    throw store_error("migration to version " + std::to_string(version + 1) + " (" +
                      std::string(next.description) + ") failed: " + error.what());
  }
  return true;
}

}  // namespace livechat::store
