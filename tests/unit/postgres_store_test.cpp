#include "store/postgres_store.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/connection.hpp"
#include "store/postgres/migrations.hpp"
#include "support/postgres_server.hpp"
#include "store_test_support.hpp"

// What only the PostgreSQL store has: its schema version, its pool, its reconnecting after the
// server went away. The behaviour every store shares is in store_contract_test.cpp.

namespace livechat::store {
namespace {

using namespace store_testing;

test::postgres_server& server() { return test::postgres_server::shared(); }

std::int64_t schema_version(const std::string& url) {
  postgres::connection database{url};
  return database.run("SELECT version FROM livechat_schema").int64(0, 0);
}

TEST(PostgresOpenTest, MigratesOnceAndReopensIdempotently) {
  const std::string url = server().create_database();
  const auto current = static_cast<std::int64_t>(postgres::schema_migrations().size());
  { postgres_store store{url}; }
  EXPECT_EQ(schema_version(url), current);
  { postgres_store store{url, 1}; }
  EXPECT_EQ(schema_version(url), current);
}

TEST(PostgresOpenTest, NodesStartingAtOnceMigrateOnce) {
  const std::string url = server().create_database();
  constexpr int nodes = 4;
  std::latch start{nodes};
  std::vector<std::jthread> starting;
  for (int i = 0; i < nodes; ++i) {
    starting.emplace_back([&] {
      start.arrive_and_wait();
      EXPECT_NO_THROW(postgres_store{url});
    });
  }
  starting.clear();
  EXPECT_EQ(schema_version(url), static_cast<std::int64_t>(postgres::schema_migrations().size()));
}

TEST(PostgresOpenTest, RefreshTokensFromBeforeFamiliesEachStandAlone) {
  const std::string url = server().create_database();
  {
    postgres::connection database{url};
    postgres::migrate(database, postgres::schema_migrations().first(1));
    database.execute(
        "INSERT INTO users VALUES ('alice', 'hash', 0);"
        "INSERT INTO refresh_tokens (token_id, user_id, expires_at) VALUES ('old-1', 'alice', 9000);"
        "INSERT INTO refresh_tokens (token_id, user_id, expires_at) VALUES ('old-2', 'alice', 9000);");
  }
  postgres_store store{url};
  expect_premigration_tokens_are_families_of_their_own(store);
}

TEST(PostgresOpenTest, NewerDatabaseIsRefused) {
  const std::string url = server().create_database();
  { postgres_store store{url}; }
  postgres::connection{url}.execute("UPDATE livechat_schema SET version = 999");
  try {
    postgres_store store{url};
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("newer"), std::string::npos) << error.what();
  }
  EXPECT_EQ(schema_version(url), 999);
}

TEST(PostgresOpenTest, UnreachableServerIsAStoreErrorThatHidesThePassword) {
  // A port nobody listens on: the server's own, plus one, is as good a guess as any; check it.
  const std::string url = "postgresql://livechat:hunter2@127.0.0.1:1/livechat";
  try {
    postgres_store store{url};
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("cannot connect"), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos) << error.what();
  }
}

TEST(PostgresOpenTest, WrongPasswordIsAStoreError) {
  std::string url = server().create_database();
  url.replace(url.find("livechat-test-password"), 22, "wrong");
  EXPECT_THROW(postgres_store{url}, store_error);
}

TEST(PostgresMigrationsTest, FailedMigrationLeavesTheVersionBeforeIt) {
  const std::string url = server().create_database();
  postgres::connection database{url};
  const std::vector<postgres::migration> three{
      {"first", "CREATE TABLE first (x INTEGER)"},
      {"second", "CREATE TABLE second (y INTEGER)"},
      {"third", "CREATE TABLE third (z INTEGER); INSERT INTO first VALUES (1); NOT SQL AT ALL"}};
  try {
    postgres::migrate(database, three);
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("version 3 (third)"), std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(database.reusable()) << "the failed migration's transaction was left open";
  EXPECT_EQ(schema_version(url), 2);
  EXPECT_EQ(database.run("SELECT count(*) FROM first").int64(0, 0), 0);
  const auto third = database.run("SELECT count(*) FROM pg_tables WHERE tablename = 'third'");
  EXPECT_EQ(third.int64(0, 0), 0);
}

TEST(PostgresStoreTest, ErrorsCarryTheServersMessageAndLeaveTheConnectionUsable) {
  postgres::connection database{server().create_database()};
  try {
    database.run("SELECT * FROM no_such_table");
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("\"no_such_table\" does not exist"), std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(database.reusable());
  EXPECT_EQ(database.run("SELECT $1::bigint + 1", std::int64_t{41}).int64(0, 0), 42);
}

TEST(PostgresStoreTest, TextWithANulCharacterIsRefusedNotShortened) {
  postgres_store store{server().create_database()};
  model::message message = make_message("room-1", 1);
  message.contents = std::string("before\0after", 12);
  EXPECT_THROW(store.append_messages(std::vector{message}), store_error);
  EXPECT_EQ(store.last_message_id("room-1"), 0);
}

TEST(PostgresStoreTest, OnePooledConnectionServesManyThreads) {
  postgres_store store{server().create_database(), 1};
  constexpr int threads = 8;
  std::latch start{threads};
  std::vector<std::jthread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      const std::string room = "room-" + std::to_string(i);
      start.arrive_and_wait();
      for (int id = 1; id <= 10; ++id) store.append_messages(std::vector{make_message(room, id)});
    });
  }
  workers.clear();
  for (int i = 0; i < threads; ++i) {
    EXPECT_EQ(store.last_message_id("room-" + std::to_string(i)), 10);
  }
}

// Opens several pooled connections at once: all of them die with the server.
void use_connections(postgres_store& store, int connections, std::int64_t first_id) {
  std::latch start{connections};
  std::vector<std::jthread> workers;
  for (int i = 0; i < connections; ++i) {
    workers.emplace_back([&, i] {
      start.arrive_and_wait();
      for (std::int64_t id = first_id; id < first_id + 20; ++id) {
        store.append_messages(std::vector{make_message("room-" + std::to_string(i), id)});
      }
    });
  }
}

// The server is killed (kill -9) and started again. While it is away every call throws
// store_error and healthy() says no, without hanging; once it is back, calls work on fresh
// connections and find everything committed before the kill.
TEST(PostgresStoreTest, RecoversAfterTheServerWasAway) {
  postgres_store store{server().create_database(), 4};
  ASSERT_TRUE(store.create_user(make_user("alice")));
  use_connections(store, 4, 1);

  server().kill9();
  EXPECT_THROW(store.find_user("alice"), store_error);
  EXPECT_FALSE(store.healthy());
  EXPECT_THROW(store.append_messages(std::vector{make_message("room-0", 21)}), store_error);

  server().start();
  EXPECT_EQ(store.last_message_id("room-3"), 20);
  for (int call = 0; call < 10; ++call) {
    EXPECT_TRUE(store.healthy()) << "call " << call;
    EXPECT_TRUE(store.find_user("alice")) << "call " << call;
  }
  store.append_messages(std::vector{make_message("room-0", 21)});
  EXPECT_EQ(store.last_message_id("room-0"), 21);
}

// A restart between two calls: the first call meets a dead connection and fails; it takes the
// pool's other idle connections with it, so the next calls all work.
TEST(PostgresStoreTest, OneCallFailsAfterARestartAndTheNextOnesWork) {
  postgres_store store{server().create_database(), 4};
  ASSERT_TRUE(store.create_user(make_user("alice")));
  use_connections(store, 4, 1);

  server().kill9();
  server().start();
  EXPECT_THROW(store.find_user("alice"), store_error);
  for (int call = 0; call < 10; ++call) {
    EXPECT_TRUE(store.find_user("alice")) << "call " << call;
  }
  EXPECT_EQ(store.last_message_id("room-2"), 20);
}

}  // namespace
}  // namespace livechat::store
