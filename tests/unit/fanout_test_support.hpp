#pragma once
// What the delivery-core tests share: a temporary SQLite file, messages and batches made to
// order, and a store and a broker that fail on demand (failure injection around a real
// sqlite_store and a real broker).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "broker/broker.hpp"
#include "fanout/batch.hpp"
#include "fanout/room_history.hpp"
#include "model/fail_count.hpp"
#include "model/records.hpp"
#include "store/sqlite_store.hpp"

namespace livechat::testing {

// A database path of its own under the system's temp directory, removed (with its WAL and
// shared-memory files) when the test ends.
class temp_database {
 public:
  temp_database() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("livechat-fanout-test-" + std::to_string(random()) + std::to_string(random()) + ".db");
  }
  ~temp_database() {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path_.string() + suffix, ignored);
    }
  }
  temp_database(const temp_database&) = delete;
  temp_database& operator=(const temp_database&) = delete;

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline model::message make_message(const std::string& room_id, std::int64_t id,
                                   std::string contents = {}) {
  model::message message;
  message.room_id = room_id;
  message.id = id;
  message.sender = "alice";
  message.contents = contents.empty() ? "message " + std::to_string(id) : std::move(contents);
  message.sent_at = model::from_epoch_ms(1'700'000'000'000 + id);
  return message;
}

// Messages first..last (inclusive) of a room.
inline std::vector<model::message> make_messages(const std::string& room_id, std::int64_t first,
                                                 std::int64_t last) {
  std::vector<model::message> messages;
  for (std::int64_t id = first; id <= last; ++id) messages.push_back(make_message(room_id, id));
  return messages;
}

inline std::shared_ptr<const fanout::batch> make_test_batch(const std::string& room_id,
                                                            std::int64_t first, std::int64_t last,
                                                            bool closes_room = false) {
  return fanout::make_batch(room_id, make_messages(room_id, first, last), closes_room);
}

template <typename Messages>
std::vector<std::int64_t> ids_of(const Messages& messages) {
  std::vector<std::int64_t> ids;
  for (const auto& message : messages) ids.push_back(message.id);
  return ids;
}

inline std::vector<std::int64_t> ids_of(const fanout::history_view& view) {
  return ids_of(view.messages());
}

inline std::vector<std::int64_t> id_range(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> ids;
  for (std::int64_t id = first; id <= last; ++id) ids.push_back(id);
  return ids;
}

// A real store whose calls can be made to throw store_error, as a database that is down would:
// the message calls by kind (the flags), or any call by its number, as Boost.Beast's fail_count
// does for I/O (fail_call). Everything else goes straight through.
class failing_store final : public livechat::store::store {
 public:
  explicit failing_store(livechat::store::store& real) : real_(real) {}

  std::atomic<bool> fail_appends{false};
  std::atomic<bool> fail_last_ids{false};
  std::atomic<bool> fail_reads{false};

  /// Makes the n-th call from now (1 = the next) throw, and only that one; 0 = none.
  void fail_call(long n) { failures_.fail_call(n); }
  /// The calls made so far, failed ones included.
  long calls() const { return failures_.calls(); }

  bool create_user(const model::user& user) override {
    count_call();
    return real_.create_user(user);
  }
  std::optional<model::user> find_user(std::string_view user_id) override {
    count_call();
    return real_.find_user(user_id);
  }
  void save_refresh_token(std::string_view token_id, std::string_view user_id,
                          model::timestamp expires_at) override {
    count_call();
    real_.save_refresh_token(token_id, user_id, expires_at);
  }
  livechat::store::refresh_outcome rotate_refresh_token(std::string_view token_id,
                                                        std::string_view next_token_id,
                                                        model::timestamp next_expires_at,
                                                        model::timestamp now) override {
    count_call();
    return real_.rotate_refresh_token(token_id, next_token_id, next_expires_at, now);
  }
  void create_room(const model::room& room) override {
    count_call();
    real_.create_room(room);
  }
  std::optional<model::room> find_room(std::string_view room_id) override {
    count_call();
    return real_.find_room(room_id);
  }
  livechat::store::room_page list_rooms(std::string_view name_filter,
                                        livechat::store::page_request page) override {
    count_call();
    return real_.list_rooms(name_filter, page);
  }
  livechat::store::room_page list_member_rooms(std::string_view user_id,
                                               livechat::store::page_request page) override {
    count_call();
    return real_.list_member_rooms(user_id, page);
  }
  bool is_member(std::string_view room_id, std::string_view user_id) override {
    count_call();
    return real_.is_member(room_id, user_id);
  }
  livechat::store::join_outcome add_member(std::string_view room_id,
                                           std::string_view user_id) override {
    count_call();
    return real_.add_member(room_id, user_id);
  }
  livechat::store::exit_outcome remove_member(std::string_view room_id,
                                              std::string_view user_id) override {
    count_call();
    return real_.remove_member(room_id, user_id);
  }

  void append_messages(std::span<const model::message> messages) override {
    count_call();
    if (fail_appends) throw livechat::store::store_error("injected: disk I/O error");
    real_.append_messages(messages);
  }
  std::int64_t last_message_id(std::string_view room_id) override {
    count_call();
    if (fail_last_ids) throw livechat::store::store_error("injected: database is locked");
    return real_.last_message_id(room_id);
  }
  std::vector<model::message> messages_after(std::string_view room_id, std::int64_t after_id,
                                             std::int64_t limit) override {
    count_call();
    if (fail_reads) throw livechat::store::store_error("injected: disk I/O error");
    return real_.messages_after(room_id, after_id, limit);
  }
  std::vector<model::message> messages_before(std::string_view room_id, std::int64_t before_id,
                                              std::int64_t limit) override {
    count_call();
    if (fail_reads) throw livechat::store::store_error("injected: disk I/O error");
    return real_.messages_before(room_id, before_id, limit);
  }
  bool end_session(std::string_view session_id, model::timestamp ended_at) override {
    count_call();
    return real_.end_session(session_id, ended_at);
  }
  bool is_session_ended(std::string_view session_id) override {
    count_call();
    return real_.is_session_ended(session_id);
  }
  bool healthy() override {
    count_call();
    return real_.healthy();
  }

 private:
  void count_call() {
    if (failures_.count()) throw livechat::store::store_error("injected: the n-th call");
  }

  livechat::store::store& real_;
  livechat::model::fail_count failures_;
};

// A real broker whose n-th call fails, as Boost.Beast's fail_count does for I/O: a publish is
// answered `unavailable` without reaching the broker (as a database or Redis that is away
// would answer it), a history read throws. The calls that have no failure to report
// (subscribe, close, left, joined…: a broker retries those itself) go straight through
// uncounted.
class failing_broker final : public livechat::broker::broker {
 public:
  explicit failing_broker(livechat::broker::broker& real) : real_(real) {}

  /// Makes the n-th call from now (1 = the next) fail, and only that one; 0 = none.
  void fail_call(long n) { failures_.fail_call(n); }
  /// The calls made so far, failed ones included.
  long calls() const { return failures_.calls(); }

  void publish(std::vector<model::message> messages,
               livechat::broker::publish_callback done) override {
    if (failures_.count()) return done(livechat::broker::publish_status::unavailable, {});
    real_.publish(std::move(messages), std::move(done));
  }
  void close(const std::string& room_id) override { real_.close(room_id); }
  void left(const std::string& room_id, const std::string& user_id) override {
    real_.left(room_id, user_id);
  }
  void joined(const std::string& room_id, const std::string& user_id) override {
    real_.joined(room_id, user_id);
  }
  void subscribe(const std::string& room_id) override { real_.subscribe(room_id); }
  void unsubscribe(const std::string& room_id) override { real_.unsubscribe(room_id); }
  bool healthy() const override { return real_.healthy(); }
  std::vector<model::message> history_after(const std::string& room_id, std::int64_t after_id,
                                            std::int64_t limit) override {
    if (failures_.count()) throw livechat::store::store_error("injected: the n-th broker call");
    return real_.history_after(room_id, after_id, limit);
  }
  std::vector<model::message> history_before(const std::string& room_id, std::int64_t before_id,
                                             std::int64_t limit) override {
    if (failures_.count()) throw livechat::store::store_error("injected: the n-th broker call");
    return real_.history_before(room_id, before_id, limit);
  }
  void stop() override { real_.stop(); }

 private:
  livechat::broker::broker& real_;
  livechat::model::fail_count failures_;
};

}  // namespace livechat::testing
