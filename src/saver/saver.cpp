#include "saver/saver.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <exception>
#include <string_view>

#include "redis/key_layout.hpp"
#include "redis/scripts.hpp"
#include "saver/commit_plan.hpp"

namespace livechat::saver {

namespace {

using boost::system::error_code;

/// The replies of commands sent together, one per shard: what they found and the first
/// failure, handed on when the last one is in.
struct shard_replies {
  std::size_t remaining = redis::shard_count;
  std::vector<handoff_entry> entries;
  std::string failure;
  bool more = false;  // XAUTOCLAIM: some shard has more to claim

  void fail(std::string_view what, const error_code& error, const redis::reply& answer) {
    if (failure.empty()) {
      failure = std::string(what) + ": " + (answer.is_error() ? answer.text : error.message());
    }
  }
};

const std::array<std::string, redis::shard_count>& handoff_keys() {
  static const auto keys = [] {
    std::array<std::string, redis::shard_count> result;
    for (int shard = 0; shard < redis::shard_count; ++shard) result[shard] = redis::handoff_key(shard);
    return result;
  }();
  return keys;
}

}  // namespace

std::shared_ptr<saver> saver::create(std::shared_ptr<redis::command_client> redis,
                                     store::store& database,
                                     boost::asio::any_io_executor store_executor,
                                     saver_options options) {
  return std::make_shared<saver>(std::move(redis), database, std::move(store_executor),
                                 std::move(options));
}

saver::saver(std::shared_ptr<redis::command_client> redis, store::store& database,
             boost::asio::any_io_executor store_executor, saver_options options)
    : redis_(std::move(redis)),
      database_(database),
      store_executor_(std::move(store_executor)),
      options_(std::move(options)),
      retry_timer_(redis_->get_executor()) {}

void saver::start() {
  boost::asio::post(redis_->get_executor(), [self = shared_from_this()] {
    self->started_ = true;
    self->do_next();
  });
}

void saver::stop(std::function<void()> stopped) {
  boost::asio::post(redis_->get_executor(), [self = shared_from_this(), stopped = std::move(stopped)]() mutable {
    self->stopping_ = true;
    self->stopped_ = std::move(stopped);
    if (!self->started_) return self->finish();
    // Waiting to retry: the wait ends now. Otherwise the step under way ends in do_next().
    self->retry_timer_.cancel();
  });
}

// Picks the next step of the round: the groups after a failure, then this consumer's own
// pending entries, a claim when one is due, else new entries.
void saver::do_next() {
  if (stopping_) return finish();
  // Not connected (yet, or again): every command would fail at once; wait for the connection.
  if (!redis_->connected()) return wait_then_next();
  if (!groups_ready_) return do_create_groups();
  if (own_pending_) return do_read(true);
  if (std::chrono::steady_clock::now() >= next_claim_) return do_claim();
  do_read(false);
}

void saver::do_create_groups() {
  auto replies = std::make_shared<shard_replies>();
  for (const std::string& key : handoff_keys()) {
    redis_->execute({"XGROUP", "CREATE", key, redis::saver_group, "0", "MKSTREAM"},
                    [self = shared_from_this(), replies](error_code error, redis::reply answer) {
                      // BUSYGROUP: the group exists already, as it does but the first time.
                      if (error && !answer.text.starts_with("BUSYGROUP")) {
                        replies->fail("XGROUP CREATE", error, answer);
                      }
                      if (--replies->remaining > 0) return;
                      if (!replies->failure.empty()) return self->on_failure(replies->failure);
                      self->groups_ready_ = true;
                      self->do_next();
                    });
  }
}

// XREADGROUP over every shard: from 0, this consumer's entries read before and not yet
// acknowledged (at once, no BLOCK); from `>`, new entries, waiting up to `block` for some.
void saver::do_read(bool own_pending) {
  const std::string count = std::to_string(options_.read_count);
  const std::string block = std::to_string(options_.block.count());
  std::vector<std::string_view> command = {"XREADGROUP", "GROUP", redis::saver_group,
                                           options_.consumer, "COUNT", count};
  if (!own_pending) command.insert(command.end(), {"BLOCK", block});
  command.push_back("STREAMS");
  for (const std::string& key : handoff_keys()) command.push_back(key);
  command.insert(command.end(), redis::shard_count, own_pending ? "0" : ">");

  redis_->execute(command, [self = shared_from_this(), own_pending](error_code error,
                                                                     redis::reply answer) {
    if (error) return self->on_failure("XREADGROUP: " + (answer.is_error() ? answer.text : error.message()));
    std::vector<handoff_entry> batch;
    append_read_reply(answer, batch);
    if (own_pending && batch.empty()) self->own_pending_ = false;
    if (batch.empty()) return self->do_next();
    self->do_save(std::move(batch));
  });
}

// XAUTOCLAIM on every shard: entries another consumer read and left unacknowledged for
// claim_min_idle (a saver that died or hangs) become this one's.
void saver::do_claim() {
  const std::string min_idle = std::to_string(options_.claim_min_idle.count());
  const std::string count = std::to_string(options_.read_count);
  auto replies = std::make_shared<shard_replies>();
  for (int shard = 0; shard < redis::shard_count; ++shard) {
    redis_->execute(
        {"XAUTOCLAIM", handoff_keys()[shard], redis::saver_group, options_.consumer, min_idle,
         "0-0", "COUNT", count},
        [self = shared_from_this(), replies, shard](error_code error, redis::reply answer) {
          if (error) {
            replies->fail("XAUTOCLAIM", error, answer);
          } else if (answer.type == redis::reply::kind::array && answer.elements.size() >= 2) {
            // [next cursor, entries, deleted ids]: a cursor other than 0-0 means more to scan.
            replies->more = replies->more || answer.elements[0].text != "0-0";
            append_entries(answer.elements[1], shard, replies->entries);
          }
          if (--replies->remaining > 0) return;
          if (!replies->failure.empty()) return self->on_failure(replies->failure);
          self->next_claim_ = std::chrono::steady_clock::now() +
                              (replies->more ? std::chrono::milliseconds(0) : self->options_.claim_interval);
          if (replies->entries.empty()) return self->do_next();
          spdlog::info("saver: took over {} pending entries of another saver", replies->entries.size());
          self->stats_.entries_claimed.fetch_add(replies->entries.size(), std::memory_order_relaxed);
          self->do_save(std::move(replies->entries));
        });
  }
}

// Stores the batch's messages in one transaction on the store's thread, then commits.
void saver::do_save(std::vector<handoff_entry> batch) {
  auto messages = std::make_shared<std::vector<model::message>>();
  messages->reserve(batch.size());
  for (const handoff_entry& entry : batch) {
    if (entry.message) {
      messages->push_back(*entry.message);
    } else {
      // Nothing a retry could mend: acknowledged below rather than left to block its shard.
      spdlog::error("saver: hand-off entry {} (room '{}', id {}) holds no readable message; "
                    "acknowledged without storing it", entry.entry_id, entry.room_id, entry.id);
      stats_.unreadable_entries.fetch_add(1, std::memory_order_relaxed);
    }
  }
  boost::asio::post(store_executor_, [self = shared_from_this(), messages,
                                      batch = std::move(batch)]() mutable {
    std::string failure;
    try {
      self->database_.append_messages(*messages);
    } catch (const std::exception& error) {
      failure = error.what();
    }
    boost::asio::post(self->redis_->get_executor(),
                      [self, failure = std::move(failure), batch = std::move(batch)]() mutable {
                        if (!failure.empty()) return self->on_failure("database: " + failure);
                        self->do_commit(std::move(batch));
                      });
  });
}

// saver_commit per shard: the rooms' watermarks move and the entries leave the streams.
void saver::do_commit(std::vector<handoff_entry> batch) {
  const std::vector<commit_call> calls = plan_commits(batch, options_.history_size);
  auto replies = std::make_shared<shard_replies>();
  replies->remaining = calls.size();
  const std::size_t entries = batch.size();
  for (const commit_call& call : calls) {
    const std::vector<std::string_view> keys(call.keys.begin(), call.keys.end());
    const std::vector<std::string_view> args(call.args.begin(), call.args.end());
    redis_->evalsha(redis::scripts::saver_commit(), keys, args,
                    [self = shared_from_this(), replies, entries](error_code error, redis::reply answer) {
                      if (error) replies->fail("saver_commit", error, answer);
                      if (--replies->remaining > 0) return;
                      if (!replies->failure.empty()) return self->on_failure(replies->failure);
                      if (self->failing_) spdlog::info("saver: saving again");
                      self->failing_ = false;
                      self->stats_.messages_saved.fetch_add(entries, std::memory_order_relaxed);
                      self->stats_.batches.fetch_add(1, std::memory_order_relaxed);
                      self->do_next();
                    });
  }
}

// The round is abandoned: whatever it read stays pending for this consumer and is read again
// from 0 once Redis and the database answer (the groups too are made again: a Redis that lost
// its data has none).
void saver::on_failure(const std::string& what) {
  stats_.failures.fetch_add(1, std::memory_order_relaxed);
  if (!failing_) spdlog::warn("saver: {}; retrying every {} ms", what, options_.retry_delay.count());
  failing_ = true;
  groups_ready_ = false;
  own_pending_ = true;
  wait_then_next();
}

void saver::wait_then_next() {
  if (stopping_) return finish();
  retry_timer_.expires_after(options_.retry_delay);
  retry_timer_.async_wait([self = shared_from_this()](error_code) { self->do_next(); });
}

void saver::finish() {
  auto stopped = std::move(stopped_);
  stopped_ = nullptr;
  if (stopped) stopped();
}

}  // namespace livechat::saver
