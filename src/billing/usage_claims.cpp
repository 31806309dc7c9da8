#include "billing/usage_claims.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "model/ids.hpp"
#include "model/time.hpp"
#include "redis/key_layout.hpp"
#include "redis/redis_error.hpp"
#include "redis/scripts.hpp"

namespace livechat::billing {

namespace asio = boost::asio;

namespace {

// The raw lease outlives a few intervals without claims: a holder releases it itself when it
// stops delivering raw messages, so the lease lapses on its own only when its holder died.
constexpr int raw_lease_intervals = 3;
// Raw buckets another node's lease keeps from being counted are claimed again for this long:
// past the lease of a holder that died, and a margin for the next round.
constexpr int raw_kept_intervals = raw_lease_intervals + 2;
// Raw messages are tallied by the 10 ms in which they arrived from Redis: a claim carries at
// most one bucket per 10 ms of raw messages, whatever their number.
constexpr std::int64_t raw_bucket_ms = 10;
// One raw publish reaches two nodes a little apart (each stamps it when its broker thread reads
// it; 2 ms at most over 500 publishes to two nodes on one machine). A node's buckets up to this
// long after another node's coverage mark count as covered, so that the holder's last messages
// are not counted again by the next node; one that arrived within it and that the holder did
// not deliver is not counted.
constexpr std::int64_t raw_skew_guard_ms = 20;
// The bitmap and the claims hash stay this long after the session's last claim: far beyond
// the time a node takes to deliver a message it received.
constexpr std::chrono::seconds claims_expiry = std::chrono::hours(24);
// While stopping, a claim that failed (Redis away) is sent again this often, until max_wait.
constexpr auto stop_retry_interval = std::chrono::milliseconds(100);

}  // namespace

void delivery_tally::add_ids(std::int64_t first, std::int64_t last) {
  if (first <= 0 || last < first) return;
  // Kept sorted and merged: a node delivers ids in order, so this nearly always extends the
  // last range; a node that stopped listening and came back starts a new one.
  const auto after = std::upper_bound(ranges.begin(), ranges.end(), std::pair{first, last});
  auto at = ranges.insert(after, {first, last});
  if (at != ranges.begin() && std::prev(at)->second + 1 >= at->first) --at;
  while (std::next(at) != ranges.end() && at->second + 1 >= std::next(at)->first) {
    at->second = std::max(at->second, std::next(at)->second);
    ranges.erase(std::next(at));
  }
}

void delivery_tally::add_raw(std::int64_t received_ms) {
  const std::int64_t bucket = received_ms - received_ms % raw_bucket_ms;
  if (!raw.empty() && raw.back().time_ms == bucket) {
    ++raw.back().count;
  } else {
    raw.push_back({bucket, 1});
  }
}

std::uint64_t delivery_tally::ids() const {
  std::uint64_t count = 0;
  for (const auto& [first, last] : ranges) count += static_cast<std::uint64_t>(last - first + 1);
  return count;
}

std::uint64_t delivery_tally::raw_messages() const {
  std::uint64_t count = 0;
  for (const auto& bucket : raw) count += bucket.count;
  return count;
}

std::shared_ptr<usage_claims> usage_claims::create(asio::any_io_executor executor,
                                                   std::shared_ptr<redis::command_client> commands,
                                                   usage_meter& meter,
                                                   std::chrono::milliseconds interval) {
  return std::shared_ptr<usage_claims>(
      new usage_claims(std::move(executor), std::move(commands), meter, interval));
}

usage_claims::usage_claims(asio::any_io_executor executor,
                           std::shared_ptr<redis::command_client> commands, usage_meter& meter,
                           std::chrono::milliseconds interval)
    : node_id_(model::random_hex(8)),
      interval_(interval),
      commands_(std::move(commands)),
      meter_(meter),
      timer_(executor),
      stop_timer_(std::move(executor)) {}

void usage_claims::record(const fanout::batch& delivered) {
  const bool has_raw = delivered.messages.size() > delivered.id_count();
  std::scoped_lock lock{mutex_};
  auto found = recorded_.find(delivered.room_id);
  if (found == recorded_.end()) found = recorded_.emplace(delivered.room_id, delivery_tally{}).first;
  auto& tally = found->second;
  tally.add_ids(delivered.first_id(), delivered.last_id());
  if (!has_raw) return;
  for (const auto& message : delivered.messages) {
    if (message.is_raw()) tally.add_raw(model::to_epoch_ms(message.received_at));
  }
}

void usage_claims::start() {
  asio::post(timer_.get_executor(), [self = shared_from_this()] { self->schedule(); });
}

void usage_claims::stop(std::chrono::milliseconds max_wait, std::function<void()> done) {
  asio::post(timer_.get_executor(), [self = shared_from_this(), max_wait,
                                     done = std::move(done)]() mutable {
    self->stopping_ = true;
    self->on_stopped_ = std::move(done);
    self->timer_.cancel();
    self->stop_timer_.expires_after(max_wait);
    self->stop_timer_.async_wait([self](boost::system::error_code error) {
      if (!error) self->finish_stop();
    });
    self->claim_round();
  });
}

void usage_claims::schedule() {
  if (stopping_) return;
  timer_.expires_after(interval_);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
    if (!error) self->claim_round();
  });
}

void usage_claims::claim_round() {
  {
    // A session whose last claim is not settled waits: its claim goes again first, as it was.
    std::scoped_lock lock{mutex_};
    for (auto at = recorded_.begin(); at != recorded_.end();) {
      if (unsettled_.contains(at->first)) {
        ++at;
        continue;
      }
      unsettled_.emplace(at->first, make_claim(at->first, std::move(at->second)));
      at = recorded_.erase(at);
    }
  }
  // A session with raw buckets kept, or whose lease this node holds, is claimed even with
  // nothing new: to count the kept buckets once the lease is free, or to release it.
  for (const auto& [session_id, standing] : raw_standings_) {
    if (!unsettled_.contains(session_id)) unsettled_.emplace(session_id, make_claim(session_id, {}));
  }
  for (auto& [session_id, waiting] : unsettled_) {
    if (!waiting->in_flight) send(waiting);
  }
  if (!stopping_) return schedule();
  if (unsettled_.empty()) finish_stop();  // nothing was left to claim
}

std::shared_ptr<usage_claims::claim> usage_claims::make_claim(const std::string& session_id,
                                                              delivery_tally tally) {
  // The buckets kept from earlier claims are older than any recorded since: they go first.
  if (auto standing = raw_standings_.find(session_id); standing != raw_standings_.end()) {
    auto& kept = standing->second.kept;
    tally.raw.insert(tally.raw.begin(), kept.begin(), kept.end());
    kept.clear();
  }
  return std::make_shared<claim>(claim{session_id, ++claims_made_, std::move(tally)});
}

void usage_claims::send(std::shared_ptr<claim> sent) {
  sent->in_flight = true;
  std::vector<std::string> args{node_id_,
                                std::to_string(sent->number),
                                std::to_string((interval_ * raw_lease_intervals).count()),
                                std::to_string(claims_expiry.count()),
                                std::to_string(raw_skew_guard_ms),
                                stopping_ ? "1" : "0",
                                std::to_string(sent->tally.raw.size())};
  for (const auto& bucket : sent->tally.raw) {
    args.push_back(std::to_string(bucket.time_ms));
    args.push_back(std::to_string(bucket.count));
  }
  for (const auto& [first, last] : sent->tally.ranges) {
    args.push_back(std::to_string(first));
    args.push_back(std::to_string(last));
  }
  asio::post(commands_->get_executor(), [self = shared_from_this(), sent = std::move(sent),
                                         args = std::move(args)]() mutable {
    const auto keys = redis::billing_keys_for(sent->session_id);
    const std::string_view key_views[] = {keys.billed, keys.raw_biller, keys.claims};
    const std::vector<std::string_view> arg_views(args.begin(), args.end());
    self->commands_->evalsha(
        redis::scripts::billing_claim(), key_views, arg_views,
        [self, sent](boost::system::error_code error, redis::reply reply) {
          const bool ok = !error && reply.elements.size() == 4;
          answer answered;
          if (ok) {
            answered.counted =
                static_cast<std::uint64_t>(reply.elements[0].integer + reply.elements[1].integer);
            answered.covered_ms = reply.elements[2].integer;
            answered.holding = reply.elements[3].integer == 1;
          } else if (error != redis::errc::not_connected && error != redis::errc::shutdown) {
            spdlog::warn("billing: claim of {} failed ({} {}); sent again next interval",
                         sent->session_id, error.message(), reply.text);
          }
          asio::post(self->timer_.get_executor(),
                     [self, sent, ok, answered] { self->on_answer(sent, ok, answered); });
        });
  });
}

void usage_claims::on_answer(const std::shared_ptr<claim>& sent, bool ok, const answer& answered) {
  sent->in_flight = false;
  if (ok) {
    meter_.record(sent->session_id, answered.counted);
    settle_raw(*sent, answered);
    unsettled_.erase(sent->session_id);
  }
  // A failed claim is sent again, unchanged, by the next round: the interval's, or, once
  // stopping, the one that starts when every claim sent has its answer (at once after a
  // success, for the deliveries that waited behind their session's claim; shortly after a
  // failure, to give a reconnection a chance within max_wait).
  if (!stopping_ || stopped_) return;
  const auto waiting = [](const auto& entry) { return entry.second->in_flight; };
  if (std::ranges::any_of(unsettled_, waiting)) return;
  if (ok) return claim_round();
  timer_.expires_after(stop_retry_interval);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
    if (!error) self->claim_round();
  });
}

void usage_claims::settle_raw(claim& settled, const answer& answered) {
  // Newer than what the lease's holder covered: this node claims them again, until the holder
  // covers them (it delivered them too) or releases the lease (then they count here). Not past
  // a dead holder's lease, nor once this node stops: its last claims are its last word.
  const std::int64_t oldest =
      model::to_epoch_ms(model::now()) - (interval_ * raw_kept_intervals).count();
  std::vector<raw_bucket> kept;
  std::uint64_t expired = 0;
  for (const auto& bucket : settled.tally.raw) {
    if (bucket.time_ms <= answered.covered_ms) continue;
    if (stopping_ || bucket.time_ms < oldest) {
      expired += bucket.count;
    } else {
      kept.push_back(bucket);
    }
  }
  if (expired > 0) {
    spdlog::warn("billing: {} raw messages of {} delivered here are left uncounted: another "
                 "node held the lease {}", expired, settled.session_id,
                 stopping_ ? "when this node stopped" : "without covering them (lost messages?)");
  }
  if (kept.empty() && !answered.holding) {
    raw_standings_.erase(settled.session_id);
    return;
  }
  raw_standings_[settled.session_id] = raw_standing{std::move(kept), answered.holding};
}

void usage_claims::finish_stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  stop_timer_.cancel();
  std::uint64_t ids = 0;
  std::uint64_t raw = 0;
  const auto count = [&](const delivery_tally& tally) {
    ids += tally.ids();
    raw += tally.raw_messages();
  };
  {
    std::scoped_lock lock{mutex_};
    for (const auto& [session_id, tally] : recorded_) count(tally);
  }
  for (const auto& [session_id, unsettled] : unsettled_) count(unsettled->tally);
  if (ids + raw > 0) {
    spdlog::warn("billing: stopping with {} ids and {} raw messages delivered here and not "
                 "claimed in Redis: they are not reported", ids, raw);
  }
  auto done = std::move(on_stopped_);
  done();
}

}  // namespace livechat::billing
