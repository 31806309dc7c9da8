#include "net/output_queue.hpp"

#include <algorithm>
#include <cassert>

namespace livechat::net {

namespace {

// A queue that once took more pieces than this (a replay, a burst) gives its slots back as
// soon as it is empty, instead of holding them for a second.
constexpr std::size_t kept_slots = 64;

}  // namespace

bool output_queue::push_shared(std::shared_ptr<const void> owner, std::string_view bytes) {
  if (bytes.empty()) return true;
  if (!fits(bytes.size())) return false;
  pieces_.push_back(piece{std::move(owner), bytes});
  bytes_ += bytes.size();
  return true;
}

bool output_queue::push_owned(std::string bytes) {
  if (bytes.empty()) return true;
  if (!fits(bytes.size())) return false;
  // Its own allocation, so that the view stays put however the vector of pieces moves.
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  const std::string_view view = *owned;
  bytes_ += view.size();
  pieces_.push_back(piece{std::move(owned), view});
  return true;
}

bool output_queue::pin(std::size_t bytes) {
  if (!fits(bytes)) return false;
  pinned_ += bytes;
  return true;
}

void output_queue::unpin(std::size_t bytes) {
  assert(bytes <= pinned_);
  pinned_ -= bytes;
}

output_queue::write_buffers output_queue::start_write() {
  assert(!writing() && has_queued());
  in_flight_ = pieces_.size();
  return unwritten();
}

void output_queue::consume(std::size_t written) {
  assert(written <= bytes_);
  std::size_t whole = 0;
  while (whole < in_flight_ && written >= pieces_[whole].bytes.size()) {
    written -= pieces_[whole].bytes.size();
    bytes_ -= pieces_[whole].bytes.size();
    ++whole;
  }
  if (whole < in_flight_ && written > 0) {
    pieces_[whole].bytes.remove_prefix(written);
    bytes_ -= written;
  }
  release_front(whole);
  in_flight_ -= whole;
}

void output_queue::finish_write() {
  for (std::size_t index = 0; index < in_flight_; ++index) bytes_ -= pieces_[index].bytes.size();
  release_front(in_flight_);
  in_flight_ = 0;
}

void output_queue::release_front(std::size_t count) {
  if (count == 0) return;
  if (count == pieces_.size()) {
    pieces_.clear();  // the common case: everything was written, the slots stay
    if (pieces_.capacity() > kept_slots) std::vector<piece>().swap(pieces_);
    return;
  }
  pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(count));
}

void output_queue::release_spare_capacity(std::chrono::steady_clock::time_point last_write,
                                          std::chrono::steady_clock::time_point now) {
  if (!idle() || now - last_write < spare_capacity_idle_after) return;
  std::vector<piece>().swap(pieces_);
}

}  // namespace livechat::net
