#include "billing/usage_claims.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "model/ids.hpp"
#include "redis/key_layout.hpp"
#include "redis/redis_error.hpp"
#include "redis/scripts.hpp"

namespace livechat::billing {

namespace asio = boost::asio;

namespace {

// The raw lease outlives a few intervals without claims, so that the node counting a session's
// raw messages keeps it between sparse ones, and lapses soon after it stops delivering them.
constexpr int raw_lease_intervals = 3;
// The bitmap and the claims hash stay this long after the session's last claim: far beyond
// the time a node takes to deliver a message it received.
constexpr std::chrono::seconds claims_expiry = std::chrono::hours(24);
// While stopping, a claim that failed (Redis away) is sent again this often, until max_wait.
constexpr auto stop_retry_interval = std::chrono::milliseconds(100);

}  // namespace

void delivery_tally::add(std::int64_t first, std::int64_t last, std::uint64_t raw_messages) {
  raw += raw_messages;
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

std::uint64_t delivery_tally::ids() const {
  std::uint64_t count = 0;
  for (const auto& [first, last] : ranges) count += static_cast<std::uint64_t>(last - first + 1);
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
  const std::size_t with_id = delivered.id_count();
  const std::uint64_t raw = delivered.messages.size() - with_id;
  std::scoped_lock lock{mutex_};
  auto found = recorded_.find(delivered.room_id);
  if (found == recorded_.end()) found = recorded_.emplace(delivered.room_id, delivery_tally{}).first;
  found->second.add(delivered.first_id(), delivered.last_id(), raw);
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
      auto made = std::make_shared<claim>(claim{at->first, ++claims_made_, std::move(at->second)});
      unsettled_.emplace(at->first, std::move(made));
      at = recorded_.erase(at);
    }
  }
  for (auto& [session_id, waiting] : unsettled_) {
    if (!waiting->in_flight) send(waiting);
  }
  if (!stopping_) return schedule();
  if (unsettled_.empty()) finish_stop();  // nothing was left to claim
}

void usage_claims::send(std::shared_ptr<claim> sent) {
  sent->in_flight = true;
  std::vector<std::string> args{node_id_, std::to_string(sent->number),
                                std::to_string((interval_ * raw_lease_intervals).count()),
                                std::to_string(claims_expiry.count()),
                                std::to_string(sent->tally.raw)};
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
        [self, sent](boost::system::error_code error, redis::reply answer) {
          const bool ok = !error && answer.elements.size() == 2;
          const std::uint64_t counted =
              ok ? static_cast<std::uint64_t>(answer.elements[0].integer + answer.elements[1].integer)
                 : 0;
          if (!ok && error != redis::errc::not_connected && error != redis::errc::shutdown) {
            spdlog::warn("billing: claim of {} failed ({} {}); sent again next interval",
                         sent->session_id, error.message(), answer.text);
          }
          asio::post(self->timer_.get_executor(),
                     [self, sent, ok, counted] { self->on_answer(sent, ok, counted); });
        });
  });
}

void usage_claims::on_answer(const std::shared_ptr<claim>& sent, bool ok, std::uint64_t counted) {
  sent->in_flight = false;
  if (ok) {
    meter_.record(sent->session_id, counted);
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

void usage_claims::finish_stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  stop_timer_.cancel();
  std::uint64_t ids = 0;
  std::uint64_t raw = 0;
  const auto count = [&](const delivery_tally& tally) {
    ids += tally.ids();
    raw += tally.raw;
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
