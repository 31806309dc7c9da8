#include "net/output_queue.hpp"

#include <cassert>

namespace livechat::net {

bool output_queue::push_shared(std::shared_ptr<const void> owner, std::string_view bytes) {
  if (bytes.empty()) return true;
  if (!fits(bytes.size())) return false;
  queued_.push_back(piece{std::move(owner), {}, bytes});
  bytes_ += bytes.size();
  return true;
}

bool output_queue::push_owned(std::string bytes) {
  if (bytes.empty()) return true;
  if (!fits(bytes.size())) return false;
  bytes_ += bytes.size();
  queued_.push_back(piece{nullptr, std::move(bytes), {}});
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

const std::vector<boost::asio::const_buffer>& output_queue::start_write() {
  assert(writing_.empty() && !queued_.empty());
  writing_.swap(queued_);
  buffers_.clear();
  buffers_.reserve(writing_.size());
  for (const piece& each : writing_) {
    const std::string_view bytes = each.bytes();
    buffers_.emplace_back(bytes.data(), bytes.size());
  }
  return buffers_;
}

void output_queue::finish_write() {
  for (const piece& each : writing_) bytes_ -= each.bytes().size();
  writing_.clear();
  buffers_.clear();
  // An idle connection should hold no buffer memory (idle connections are most of them).
  // Both vectors: start_write() swaps them, so either may hold a busy tick's capacity.
  if (queued_.empty() && (writing_.capacity() > 16 || queued_.capacity() > 16)) {
    std::vector<piece>().swap(writing_);
    std::vector<piece>().swap(queued_);
    std::vector<boost::asio::const_buffer>().swap(buffers_);
  }
}

void output_queue::release_spare_capacity(std::chrono::steady_clock::time_point last_write,
                                          std::chrono::steady_clock::time_point now) {
  if (!idle() || now - last_write < spare_capacity_idle_after) return;
  std::vector<piece>().swap(writing_);
  std::vector<piece>().swap(queued_);
  std::vector<boost::asio::const_buffer>().swap(buffers_);
}

}  // namespace livechat::net
