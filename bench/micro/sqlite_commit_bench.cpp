// The group commit (sqlite_store::append_messages) both ways: our SQLite wrapper
// (src/store/sqlite/: a cached prepared statement, bind, step, reset, in a BEGIN IMMEDIATE …
// COMMIT transaction) against SQLiteCpp's Statement and Transaction doing the same, on the same
// schema (our migrations), the same SQL and the same pragmas (WAL, synchronous=FULL, foreign
// keys, busy timeout), each on a fresh temp file. docs/dependencies.md quotes the result: it
// decides whether we keep our own wrapper.

#include <benchmark/benchmark.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <cstdint>
#include <filesystem>
#include <unistd.h>
#include <string>
#include <string_view>
#include <vector>

#include "model/time.hpp"
#include "sample_data.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/transaction.hpp"

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

void BM_GroupCommit_Ours(benchmark::State& state) {
  temp_database file;
  store::sqlite::connection database{file.path()};  // sets the pragmas itself
  message_source source(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    store::sqlite::transaction changes{database, store::sqlite::transaction::kind::write};
    for (const model::message& message : source.next()) {
      database.prepare(insert_sql)
          .bind_all(message.room_id, message.id, message.sender, message.contents,
                    model::to_epoch_ms(message.sent_at), message.nickname,
                    message.profile_img_url)
          .run();
    }
    changes.commit();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // messages
}
BENCHMARK(BM_GroupCommit_Ours)->ArgName("messages")->Arg(1)->Arg(10)->Arg(100);

// SQLiteCpp binds text from a std::string (or a NUL-terminated char*). With `from_views`, each
// text value is bound from a std::string_view, as our statement::bind takes it and as
// sqlite_store would go through after a switch: a std::string per value.
template <bool from_views>
void group_commit_sqlitecpp(benchmark::State& state) {
  temp_database file;
  SQLite::Database database{file.path(), SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX, 5000};
  database.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
  SQLite::Statement insert{database, insert_sql};  // prepared once, as our cache does
  const auto bind_text = [&insert](int index, const std::string& value) {
    if constexpr (from_views) {
      insert.bind(index, std::string(std::string_view(value)));
    } else {
      insert.bind(index, value);
    }
  };
  message_source source(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    SQLite::Transaction changes{database, SQLite::TransactionBehavior::IMMEDIATE};
    for (const model::message& message : source.next()) {
      bind_text(1, message.room_id);
      insert.bind(2, message.id);
      bind_text(3, message.sender);
      bind_text(4, message.contents);
      insert.bind(5, model::to_epoch_ms(message.sent_at));
      bind_text(6, message.nickname);
      bind_text(7, message.profile_img_url);
      insert.exec();
      insert.reset();
      insert.clearBindings();
    }
    changes.commit();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // messages
}

void BM_GroupCommit_SQLiteCpp(benchmark::State& state) { group_commit_sqlitecpp<false>(state); }
BENCHMARK(BM_GroupCommit_SQLiteCpp)->ArgName("messages")->Arg(1)->Arg(10)->Arg(100);

void BM_GroupCommit_SQLiteCppFromViews(benchmark::State& state) {
  group_commit_sqlitecpp<true>(state);
}
BENCHMARK(BM_GroupCommit_SQLiteCppFromViews)->ArgName("messages")->Arg(1)->Arg(10)->Arg(100);

}  // namespace
}  // namespace livechat::bench
