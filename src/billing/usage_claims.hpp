#pragma once
// Cluster mode's usage counting (SPEC 7): each session message is counted once in the cluster,
// however many nodes delivered it. Every node records what it delivered (ranges of ids, and its
// raw Chat Sync messages, which have no id, by the time they arrived from Redis); every billing
// interval it claims that in Redis, one `billing_claim` script per session (docs/redis.md), and
// what the claim counts as new goes to the usage_meter, which reports it to the tenant as in
// embedded mode.
//
// Promises:
// * An id counts for the first node that claims it, and only for it (Redis's bitmap).
// * A raw message counts once, for the node holding the session's raw lease when it claims
//   it. The lease's coverage mark (its holder's newest raw message counted) tells the others
//   which of theirs are covered: they forget those and keep the newer ones, claimed again each
//   interval until the holder's mark covers them or the lease is free and they count them. The
//   holder releases the lease at its stop, and after an interval in which it counted no raw
//   message (its listeners left), so another node counts from the mark on at its next claim.
//   docs/cluster.md ("Raw messages have no id") lists what this still misses.
// * A claim that failed (Redis away, or its reply lost) is sent again, the same claim under
//   the same number, before anything newer of that session: the script answers a repeated
//   number with its first answer, so a claim is counted once whatever happens to its reply.
// * Threads: `record` from any thread (one mutex, one map entry per session batch; one raw
//   bucket per 10 ms of raw messages); the rest runs on the executor given, and on the command
//   client's for Redis.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "billing/usage_meter.hpp"
#include "fanout/batch.hpp"
#include "model/string_hash.hpp"
#include "redis/command_client.hpp"

namespace livechat::billing {

/// Raw messages (no id) a node delivered that arrived from Redis within one 10 ms bucket.
struct raw_bucket {
  std::int64_t time_ms = 0;  // the bucket's start: milliseconds since the epoch, wall clock
  std::uint64_t count = 0;
};

/// What one node delivered of one session since its last claim.
struct delivery_tally {
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;  // first, last id; ascending
  std::vector<raw_bucket> raw;                                 // in the order of arrival

  /// Adds ids first..last (none when first is 0), merged into the ranges held.
  void add_ids(std::int64_t first, std::int64_t last);

  /// Adds a raw message that arrived at `received_ms` (since the epoch) to its bucket.
  void add_raw(std::int64_t received_ms);

  /// The number of ids in the ranges.
  std::uint64_t ids() const;

  /// The number of raw messages in the buckets.
  std::uint64_t raw_messages() const;
};

class usage_claims : public std::enable_shared_from_this<usage_claims> {
 public:
  /// Claims every `interval` on `executor`, through `commands` (the broker's connection), and
  /// records the counts in `meter`, which must outlive it.
  static std::shared_ptr<usage_claims> create(boost::asio::any_io_executor executor,
                                              std::shared_ptr<redis::command_client> commands,
                                              usage_meter& meter, std::chrono::milliseconds interval);

  /// A session batch delivered to at least one listener here.
  void record(const fanout::batch& delivered);

  /// Starts the claims: the first one interval from now.
  void start();

  /// The last claims, for a node that stops: claims at once what is recorded and what is
  /// unsettled, sends again what fails (Redis away) until `max_wait` has passed, then calls
  /// `done` on the executor; what is still unclaimed then is not counted (logged). No claim
  /// starts after `done`. Call once, after the last delivery that should count, while the
  /// command connection is still open.
  void stop(std::chrono::milliseconds max_wait, std::function<void()> done);

 private:
  usage_claims(boost::asio::any_io_executor executor,
               std::shared_ptr<redis::command_client> commands, usage_meter& meter,
               std::chrono::milliseconds interval);

  // A claim sent and not yet answered (or failed, to be sent again as it is).
  struct claim {
    std::string session_id;
    std::uint64_t number = 0;
    delivery_tally tally;
    bool in_flight = false;
  };

  // What the script answered (docs/redis.md).
  struct answer {
    std::uint64_t counted = 0;    // ids and raw messages counted for this node
    std::int64_t covered_ms = 0;  // raw buckets up to this time are counted, here or elsewhere
    bool holding = false;         // this node holds the session's raw lease
  };

  // What this node knows of a session's raw lease between its claims.
  struct raw_standing {
    std::vector<raw_bucket> kept;  // delivered here, newer than the holder's mark: claim again
    bool holding = false;          // claim each round, if only to release it
  };

  void schedule();
  void claim_round();
  std::shared_ptr<claim> make_claim(const std::string& session_id, delivery_tally tally);
  void send(std::shared_ptr<claim> sent);
  void on_answer(const std::shared_ptr<claim>& sent, bool ok, const answer& answered);
  void settle_raw(claim& settled, const answer& answered);
  void finish_stop();

  const std::string node_id_;  // random per process: tells this node's claims from others'
  const std::chrono::milliseconds interval_;
  std::shared_ptr<redis::command_client> commands_;
  usage_meter& meter_;
  boost::asio::steady_timer timer_;       // the next round
  boost::asio::steady_timer stop_timer_;  // stop()'s max_wait

  std::mutex mutex_;
  std::unordered_map<std::string, delivery_tally, model::string_hash, std::equal_to<>> recorded_;

  // The executor's only.
  std::unordered_map<std::string, std::shared_ptr<claim>> unsettled_;  // by session: sent, or failed
  std::unordered_map<std::string, raw_standing> raw_standings_;       // by session: kept or holding
  std::uint64_t claims_made_ = 0;
  bool stopping_ = false;  // stop() called: rounds follow answers, not the interval
  bool stopped_ = false;   // stop()'s `done` called
  std::function<void()> on_stopped_;
};

}  // namespace livechat::billing
