#pragma once
// A connection's bytes waiting to be written: pieces of shared batches (referenced, never
// copied) and bytes of its own (receipts, errors, heart-beats), bounded in total together with
// what the connection pins elsewhere (replay pages, batches held during a replay). Everything
// queued leaves in one gather write.

#include <boost/asio/buffer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace livechat::net {

class output_queue {
 public:
  /// `limit_bytes`: queued plus being written; past it the reader is too slow (SPEC 5: 1 MiB).
  explicit output_queue(std::size_t limit_bytes) : limit_bytes_(limit_bytes) {}

  /// Queues `bytes`, kept alive by `owner`. False, queuing nothing, when it would pass the
  /// limit: the caller must drop the connection.
  [[nodiscard]] bool push_shared(std::shared_ptr<const void> owner, std::string_view bytes);

  /// Queues bytes of the connection's own. False as above.
  [[nodiscard]] bool push_owned(std::string bytes);

  /// Counts `bytes` that the connection holds outside the queue against the same limit. False,
  /// counting nothing, when queued plus pinned would pass it: the caller must drop the
  /// connection.
  [[nodiscard]] bool pin(std::size_t bytes);

  /// Gives back bytes counted by pin() (no more than were pinned).
  void unpin(std::size_t bytes);

  /// Bytes counted by pin() and not yet given back.
  std::size_t pinned() const { return pinned_; }

  /// Nothing queued and nothing being written.
  bool idle() const { return queued_.empty() && writing_.empty(); }
  bool writing() const { return !writing_.empty(); }
  bool has_queued() const { return !queued_.empty(); }
  /// Bytes queued or being written (not counting pinned ones).
  std::size_t bytes() const { return bytes_; }
  /// Pieces the queue has room for without allocating (for tests and metrics).
  std::size_t reserved_pieces() const { return queued_.capacity() + writing_.capacity(); }

  /// Moves everything queued into the write in progress and returns its buffers, valid until
  /// finish_write(). Call only when not writing() and has_queued().
  const std::vector<boost::asio::const_buffer>& start_write();

  /// The write in progress ended (done or failed): its pieces are released.
  void finish_write();

  /// A connection that has not started a write for this long is idle: its queue may give back
  /// its spare slots.
  static constexpr std::chrono::seconds spare_capacity_idle_after{1};

  /// When idle and `last_write` (when the connection last started a write) is at least
  /// spare_capacity_idle_after before `now`, gives back the slots kept for the next write. Only
  /// then: most connections are idle, but a busy one should not pay an allocation per tick to
  /// get its slots back.
  void release_spare_capacity(std::chrono::steady_clock::time_point last_write,
                              std::chrono::steady_clock::time_point now);

 private:
  struct piece {
    std::shared_ptr<const void> owner;  // null for owned bytes
    std::string owned;
    std::string_view shared;  // into what `owner` keeps alive

    // Owned bytes are viewed only when needed: a view taken earlier would dangle once the
    // vector moves a short string kept inside the object.
    std::string_view bytes() const { return owner ? shared : std::string_view(owned); }
  };

  bool fits(std::size_t size) const { return bytes_ + pinned_ + size <= limit_bytes_; }

  const std::size_t limit_bytes_;
  std::size_t bytes_ = 0;
  std::size_t pinned_ = 0;
  std::vector<piece> queued_;
  std::vector<piece> writing_;
  std::vector<boost::asio::const_buffer> buffers_;
};

}  // namespace livechat::net
