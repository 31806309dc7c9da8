#include "sessions/stream_limits.hpp"

#include "model/client_error.hpp"

namespace livechat::sessions {

using model::client_errc;
using model::client_error;

stream_limits::stream_limits(std::size_t per_session, std::size_t per_address)
    : per_session_(per_session), per_address_(per_address) {}

stream_limits::ticket::ticket(stream_limits* limits, bool per_session, std::string key)
    : limits_(limits), per_session_(per_session), key_(std::move(key)) {}

stream_limits::ticket::ticket(ticket&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)),
      per_session_(other.per_session_),
      key_(std::move(other.key_)) {}

stream_limits::ticket::~ticket() {
  if (limits_ != nullptr) limits_->release(per_session_, key_);
}

stream_limits::ticket stream_limits::admit_address(std::string_view address) {
  if (per_address_ == 0) return ticket(nullptr, false, {});
  std::scoped_lock lock{mutex_};
  auto& count = streams_[std::string(address)];
  if (count >= per_address_) {
    if (count == 0) streams_.erase(std::string(address));
    throw client_error(client_errc::rate_limited,
                       "too many streaming connections from this address");
  }
  ++count;
  return ticket(this, false, std::string(address));
}

stream_limits::ticket stream_limits::admit_viewer(std::string_view session_id) {
  if (per_session_ == 0) return ticket(nullptr, true, {});
  std::scoped_lock lock{mutex_};
  auto& count = viewers_[std::string(session_id)];
  if (count >= per_session_) {
    throw client_error(client_errc::unavailable, "this session has as many viewers as it can take");
  }
  ++count;
  return ticket(this, true, std::string(session_id));
}

void stream_limits::release(bool per_session, const std::string& key) {
  std::scoped_lock lock{mutex_};
  auto& counts = per_session ? viewers_ : streams_;
  const auto found = counts.find(key);
  if (found == counts.end()) return;
  if (--found->second == 0) counts.erase(found);
}

}  // namespace livechat::sessions
