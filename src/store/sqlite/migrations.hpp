#pragma once
// The schema's history. The database's `PRAGMA user_version` counts the migrations applied;
// opening a database applies the ones it lacks, in order.

#include <span>

#include "store/schema_migration.hpp"
#include "store/sqlite/connection.hpp"

namespace livechat::store::sqlite {

using livechat::store::migration;

/// livechat's migrations, oldest first. Migration i (from 0) brings the schema to version i + 1.
/// Only ever append: a released migration is never edited.
std::span<const migration> schema_migrations();

/// Brings the database on `database` up to `migrations.size()`, each migration in its own
/// write transaction together with its version bump, so a crash leaves a whole version. Safe
/// when several processes open the same file at once. Throws store_error when a migration
/// fails, or when the database is newer than `migrations` (written by a later livechat).
void migrate(connection& database, std::span<const migration> migrations = schema_migrations());

}  // namespace livechat::store::sqlite
