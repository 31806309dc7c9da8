// The group commit (sqlite_store::append_messages: BEGIN IMMEDIATE, the cached INSERT bound,
// stepped and reset per message, COMMIT) on a fresh temp file with our schema and pragmas (WAL,
// synchronous=FULL, foreign keys, busy timeout). The store runs on SQLiteCpp since issue 9;
// beside it, the same statements through bare SQLiteCpp show what our layer over the library
// (pool, write lock, statement cache, error mapping) costs. BENCHMARKS.md has the figures.

#include <benchmark/benchmark.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <cstdint>
#include <filesystem>
#include <unistd.h>
#include <string>
#include <vector>

#include "model/time.hpp"
#include "sample_data.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite_store.hpp"

namespace livechat::bench {
namespace {

constexpr const char* insert_sql =
    "INSERT INTO messages (room_id, message_id, sender, contents, sent_at, nickname, "
    "profile_img_url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (room_id, message_id) DO NOTHING";

// A database file made with our schema in a directory of its own, removed at the end.
class temp_database {
 public:
  temp_database() {
    directory_ = std::filesystem::temp_directory_path() /
                 ("livechat-sqlite-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    store::sqlite::connection schema{path()};
    store::sqlite::migrate(schema);
  }
  ~temp_database() { std::filesystem::remove_all(directory_); }
  temp_database(const temp_database&) = delete;
  temp_database& operator=(const temp_database&) = delete;

  std::string path() const { return (directory_ / "bench.db").string(); }

 private:
  std::filesystem::path directory_;
};

// Each commit appends `count` new messages of the sample room, with ids that keep growing.
class message_source {
 public:
  explicit message_source(std::size_t count) : messages_(make_messages(count)) {}

  const std::vector<model::message>& next() {
    for (auto& message : messages_) message.id += static_cast<std::int64_t>(messages_.size());
    return messages_;
  }

 private:
  std::vector<model::message> messages_;
};

void BM_GroupCommit_Store(benchmark::State& state) {
  temp_database file;
  store::sqlite_store database{file.path(), 1};
  message_source source(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) database.append_messages(source.next());
  state.SetItemsProcessed(state.iterations() * state.range(0));  // messages
}
BENCHMARK(BM_GroupCommit_Store)->ArgName("messages")->Arg(1)->Arg(10)->Arg(100);

void BM_GroupCommit_SQLiteCpp(benchmark::State& state) {
  temp_database file;
  SQLite::Database database{file.path(), SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX, 5000};
  database.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
  SQLite::Statement insert{database, insert_sql};  // prepared once, as the store's cache does
  message_source source(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    SQLite::Transaction changes{database, SQLite::TransactionBehavior::IMMEDIATE};
    for (const model::message& message : source.next()) {
      insert.bind(1, message.room_id);
      insert.bind(2, message.id);
      insert.bind(3, message.sender);
      insert.bind(4, message.contents);
      insert.bind(5, model::to_epoch_ms(message.sent_at));
      insert.bind(6, message.nickname);
      insert.bind(7, message.profile_img_url);
      insert.exec();
      insert.reset();
      insert.clearBindings();
    }
    changes.commit();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // messages
}
BENCHMARK(BM_GroupCommit_SQLiteCpp)->ArgName("messages")->Arg(1)->Arg(10)->Arg(100);

}  // namespace
}  // namespace livechat::bench
