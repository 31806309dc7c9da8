#include "sessions/stream_limits.hpp"

#include "model/client_error.hpp"

namespace livechat::sessions {

using model::client_errc;
using model::client_error;

stream_limits::stream_limits(std::size_t per_session, std::size_t per_address,
                             std::size_t per_node)
    : per_session_(per_session), per_address_(per_address), per_node_(per_node) {}

stream_limits::ticket::ticket(stream_limits* limits, cap kind, std::string key)
    : limits_(limits), kind_(kind), key_(std::move(key)) {}

stream_limits::ticket::ticket(ticket&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)),
      kind_(other.kind_),
      key_(std::move(other.key_)) {}

stream_limits::ticket::~ticket() {
  if (limits_ != nullptr) limits_->release(kind_, key_);
}

stream_limits::ticket stream_limits::admit_stream() {
  // A compare-and-swap loop, not a lock: every stream of the node passes here.
  std::size_t held = node_streams_.load(std::memory_order_relaxed);
  do {
    if (held >= per_node_) {
      throw client_error(client_errc::unavailable,
                         "this server holds as many streaming connections as it can; try again later");
    }
  } while (!node_streams_.compare_exchange_weak(held, held + 1, std::memory_order_relaxed));
  return ticket(this, cap::node, {});
}

stream_limits::ticket stream_limits::admit_address(std::string_view address) {
  if (per_address_ == 0) return ticket(nullptr, cap::address, {});
  std::scoped_lock lock{mutex_};
  auto& count = streams_[std::string(address)];
  if (count >= per_address_) {
    if (count == 0) streams_.erase(std::string(address));
    throw client_error(client_errc::rate_limited,
                       "too many streaming connections from this address");
  }
  ++count;
  return ticket(this, cap::address, std::string(address));
}

stream_limits::ticket stream_limits::admit_viewer(std::string_view session_id) {
  std::scoped_lock lock{mutex_};
  auto& count = viewers_[std::string(session_id)];
  if (per_session_ > 0 && count >= per_session_) {
    throw client_error(client_errc::unavailable, "this session has as many viewers as it can take");
  }
  ++count;
  return ticket(this, cap::viewer, std::string(session_id));
}

bool stream_limits::has_viewers(std::string_view session_id) const {
  std::scoped_lock lock{mutex_};
  return viewers_.find(session_id) != viewers_.end();
}

void stream_limits::release(cap kind, const std::string& key) {
  if (kind == cap::node) {
    node_streams_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  std::scoped_lock lock{mutex_};
  auto& counts = kind == cap::viewer ? viewers_ : streams_;
  const auto found = counts.find(key);
  if (found == counts.end()) return;
  if (--found->second == 0) counts.erase(found);
}

}  // namespace livechat::sessions
