#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/sqlite/connection.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/transaction.hpp"
#include "store_test_support.hpp"

// What only the SQLite store has: its file, pragmas, migrations and statements. The behaviour
// every store shares is in store_contract_test.cpp.

namespace livechat::store {
namespace {

using namespace store_testing;

std::int64_t user_version(const std::string& path) {
  sqlite::connection database{path};
  auto row = database.prepare("PRAGMA user_version");
  return row.step() ? row.column_int64(0) : -1;
}


// --- opening and migrations ----------------------------------------------------------------

TEST(SqliteOpenTest, ConfiguresEveryConnectionForDurability) {
  temp_database database;
  sqlite_store store{database.path()};
  sqlite::connection connection{database.path()};
  const auto pragma = [&](const char* sql) {
    auto row = connection.prepare(sql);
    return row.step() ? row.column_text(0) : std::string{};
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma("PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(pragma("PRAGMA foreign_keys"), "1");
  EXPECT_EQ(pragma("PRAGMA busy_timeout"), "5000");
}

TEST(SqliteOpenTest, MigratesOnceAndReopensIdempotently) {
  temp_database database;
  const auto current = static_cast<std::int64_t>(sqlite::schema_migrations().size());
  { sqlite_store store{database.path()}; }
  EXPECT_EQ(user_version(database.path()), current);
  { sqlite_store store{database.path()}; }
  { sqlite_store store{database.path(), 1}; }
  EXPECT_EQ(user_version(database.path()), current);
}

TEST(SqliteOpenTest, RefreshTokensFromBeforeFamiliesEachStandAlone) {
  temp_database database;
  {
    sqlite::connection connection{database.path()};
    sqlite::migrate(connection, sqlite::schema_migrations().first(2));
    connection.execute(
        "INSERT INTO users VALUES ('alice', 'hash', 0);"
        "INSERT INTO refresh_tokens (token_id, user_id, expires_at) VALUES ('old-1', 'alice', 9000);"
        "INSERT INTO refresh_tokens (token_id, user_id, expires_at) VALUES ('old-2', 'alice', 9000);");
  }
  sqlite_store store{database.path()};
  expect_premigration_tokens_are_families_of_their_own(store);
}

TEST(SqliteOpenTest, NewerDatabaseIsRefused) {
  temp_database database;
  {
    sqlite::connection connection{database.path()};
    connection.execute("PRAGMA user_version = 999");
  }
  try {
    sqlite_store store{database.path()};
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("newer"), std::string::npos) << error.what();
  }
  EXPECT_EQ(user_version(database.path()), 999);
}

TEST(SqliteOpenTest, MissingDirectoryIsAStoreError) {
  temp_database database;
  const std::string path = database.path() + "-missing-dir/livechat.db";
  try {
    sqlite_store store{path};
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("unable to open"), std::string::npos) << error.what();
  }
}

TEST(SqliteOpenTest, FileThatIsNotADatabaseIsAStoreError) {
  temp_database database;
  {
    std::ofstream garbage{database.path(), std::ios::binary};
    garbage << std::string(8192, 'x');
  }
  try {
    sqlite_store store{database.path()};
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("not a database"), std::string::npos) << error.what();
  }
}

// The migration runner, on lists of our own. Each CREATE TABLE would fail if run twice.
const sqlite::migration create_first{"first", "CREATE TABLE first (x INTEGER)"};
const sqlite::migration create_second{"second", "CREATE TABLE second (y INTEGER)"};
const sqlite::migration broken_third{
    "third", "CREATE TABLE third (z INTEGER); INSERT INTO first VALUES (1); NOT SQL AT ALL"};

bool has_table(sqlite::connection& connection, const std::string& name) {
  return connection.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1")
      .bind_all(name)
      .step();
}

TEST(SqliteMigrationsTest, AppliesOnlyTheMissingOnes) {
  temp_database database;
  sqlite::connection connection{database.path()};
  const std::vector<sqlite::migration> one{create_first};
  const std::vector<sqlite::migration> two{create_first, create_second};

  sqlite::migrate(connection, one);
  EXPECT_EQ(user_version(database.path()), 1);
  EXPECT_TRUE(has_table(connection, "first"));
  EXPECT_FALSE(has_table(connection, "second"));

  sqlite::migrate(connection, two);
  sqlite::migrate(connection, two);
  EXPECT_EQ(user_version(database.path()), 2);
  EXPECT_TRUE(has_table(connection, "second"));

  EXPECT_THROW(sqlite::migrate(connection, one), store_error);
}

TEST(SqliteMigrationsTest, FailedMigrationLeavesTheVersionBeforeIt) {
  temp_database database;
  sqlite::connection connection{database.path()};
  const std::vector<sqlite::migration> three{create_first, create_second, broken_third};

  try {
    sqlite::migrate(connection, three);
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("version 3 (third)"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(user_version(database.path()), 2);
  EXPECT_FALSE(has_table(connection, "third"));
  EXPECT_FALSE(connection.prepare("SELECT 1 FROM first").step());
  EXPECT_FALSE(connection.in_transaction());
}

TEST(SqliteTransactionTest, RollsBackUnlessCommitted) {
  temp_database database;
  sqlite::connection connection{database.path()};
  connection.execute("CREATE TABLE t (x INTEGER)");
  {
    sqlite::transaction abandoned{connection, sqlite::transaction::kind::write};
    connection.prepare("INSERT INTO t VALUES (1)").run();
  }
  {
    sqlite::transaction kept{connection, sqlite::transaction::kind::write};
    connection.prepare("INSERT INTO t VALUES (2)").run();
    kept.commit();
  }
  auto rows = connection.prepare("SELECT x FROM t");
  ASSERT_TRUE(rows.step());
  EXPECT_EQ(rows.column_int64(0), 2);
  EXPECT_FALSE(rows.step());
}

TEST(SqliteStatementTest, ErrorsCarrySqlitesMessage) {
  temp_database database;
  sqlite::connection connection{database.path()};
  try {
    connection.prepare("SELECT * FROM no_such_table");
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("no such table: no_such_table"), std::string::npos)
        << error.what();
  }
  // A failed statement leaves its connection usable.
  EXPECT_TRUE(connection.prepare("SELECT 1").step());
}

}  // namespace
}  // namespace livechat::store
