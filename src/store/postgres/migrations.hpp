#pragma once
// The schema's history. Table livechat_schema holds the number of migrations applied; opening
// the store applies the ones the database lacks, in order.

#include <span>

#include "store/postgres/connection.hpp"
#include "store/schema_migration.hpp"

namespace livechat::store::postgres {

using livechat::store::migration;

/// livechat's migrations, oldest first. Migration i (from 0) brings the schema to version i + 1.
/// Only ever append: a released migration is never edited.
std::span<const migration> schema_migrations();

/// Brings the database up to `migrations.size()`, each migration in one transaction together
/// with its version bump (PostgreSQL's DDL is transactional), so a crash leaves a whole
/// version. An advisory lock makes nodes that start at once take turns. Throws store_error
/// when a migration fails, or when the database is newer than `migrations`.
void migrate(connection& database, std::span<const migration> migrations = schema_migrations());

}  // namespace livechat::store::postgres
