#pragma once
// The saver: moves messages from the shards' hand-off streams (Redis) into the database.
//
// One round: read a batch with the consumer group `savers` (XREADGROUP over the 16 shards),
// store it in one transaction (store::append_messages, which skips a (room, id) already
// stored), then acknowledge it with saver_commit (one call per shard), which advances each
// room's committed watermark and XACKs and XDELs the entries. Entries are acknowledged only
// after the database committed them, and storing is idempotent, so a crash at any point loses
// nothing and doubles nothing: what was read and not acknowledged stays pending and is read
// again — by this consumer after a restart or a Redis failure (XREADGROUP from 0), or by
// another saver once it has been idle for `claim_min_idle` (XAUTOCLAIM).
//
// Threading: everything runs on the Redis client's executor; database calls run on
// `store_executor` (never on the client's I/O thread) and their outcome is posted back. When
// Redis or the database fails, the round is abandoned and retried after `retry_delay`, for ever
// (the client reconnects by itself; the store reconnects on its next call).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/command_client.hpp"
#include "saver/handoff_entry.hpp"
#include "saver/saver_stats.hpp"
#include "store/store.hpp"

namespace livechat::saver {

struct saver_options {
  /// This saver's consumer name in the group. Keep it stable across restarts of one saver (its
  /// own pending entries are then read back at once) and distinct between savers.
  std::string consumer = "saver";
  /// HISTORY_SIZE: saver_commit trims a room's history as publish does.
  std::size_t history_size = 1000;
  /// Entries read per shard per round (so a batch holds at most 16 times this).
  std::size_t read_count = 256;
  /// How long a read waits for new entries (it then returns empty, and a round starts over).
  std::chrono::milliseconds block{1000};
  /// Entries pending this long under another consumer are taken over (a dead saver's)…
  std::chrono::milliseconds claim_min_idle{30'000};
  /// …looked for this often.
  std::chrono::milliseconds claim_interval{5'000};
  /// The wait before a round that failed is tried again, and between looks at a connection
  /// that is down.
  std::chrono::milliseconds retry_delay{250};
};

class saver : public std::enable_shared_from_this<saver> {
 public:
  /// A saver reading through `redis` (started by the caller) and writing to `database` from
  /// `store_executor`; both must outlive it.
  static std::shared_ptr<saver> create(std::shared_ptr<redis::command_client> redis,
                                       store::store& database,
                                       boost::asio::any_io_executor store_executor,
                                       saver_options options);

  saver(std::shared_ptr<redis::command_client> redis, store::store& database,
        boost::asio::any_io_executor store_executor, saver_options options);

  /// Starts the rounds. Call once, from any thread.
  void start();

  /// Finishes the round under way (its batch is stored and acknowledged, or left pending if
  /// that fails), starts no other, then calls `stopped` on the client's executor. Any thread.
  void stop(std::function<void()> stopped);

  const saver_stats& stats() const { return stats_; }

 private:
  void do_next();
  void do_create_groups();
  void do_read(bool own_pending);
  void do_claim();
  void do_save(std::vector<handoff_entry> batch);
  void do_commit(std::vector<handoff_entry> batch);
  void on_failure(const std::string& what);
  void wait_then_next();
  void finish();

  std::shared_ptr<redis::command_client> redis_;
  store::store& database_;
  boost::asio::any_io_executor store_executor_;
  saver_options options_;
  boost::asio::steady_timer retry_timer_;
  saver_stats stats_;

  bool groups_ready_ = false;  // XGROUP CREATE done on every shard since the last failure
  bool own_pending_ = true;    // read this consumer's pending entries before new ones
  bool failing_ = false;       // the last round failed (log the first failure, not each retry)
  bool started_ = false;
  bool stopping_ = false;
  std::function<void()> stopped_;
  std::chrono::steady_clock::time_point next_claim_{};
};

}  // namespace livechat::saver
