#pragma once
// A connection's bytes waiting to be written: pieces of shared batches (referenced, never
// copied) and bytes of its own (receipts, errors, heart-beats), bounded in total together with
// what the connection pins elsewhere (replay pages, batches held during a replay). Everything
// queued leaves in one gather write.
//
// No allocation per write once a connection is busy: the pieces live in one vector whose
// slots are kept between writes (given back after a second without writing), and the write
// reads them in place through a buffer sequence view.

#include <boost/asio/buffer.hpp>

#include <chrono>
#include <cstddef>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace livechat::net {

class output_queue {
  struct piece {
    std::shared_ptr<const void> owner;  // keeps `bytes` alive
    std::string_view bytes;
  };

 public:
  /// The unwritten bytes of the write in progress, as a buffer sequence (Asio's
  /// ConstBufferSequence) read in place: valid until the write ends, whatever is queued
  /// meanwhile.
  class write_buffers {
   public:
    class const_iterator {
     public:
      using iterator_category = std::forward_iterator_tag;
      using value_type = boost::asio::const_buffer;
      using difference_type = std::ptrdiff_t;
      using pointer = void;
      using reference = boost::asio::const_buffer;

      const_iterator() = default;
      const_iterator(const std::vector<piece>* pieces, std::size_t index)
          : pieces_(pieces), index_(index) {}
      boost::asio::const_buffer operator*() const {
        const std::string_view bytes = (*pieces_)[index_].bytes;
        return {bytes.data(), bytes.size()};
      }
      const_iterator& operator++() {
        ++index_;
        return *this;
      }
      const_iterator operator++(int) {
        const_iterator before = *this;
        ++index_;
        return before;
      }
      bool operator==(const const_iterator& other) const { return index_ == other.index_; }

     private:
      // Indices, not pointers: pieces queued during the write may move the vector.
      const std::vector<piece>* pieces_ = nullptr;
      std::size_t index_ = 0;
    };

    write_buffers(const std::vector<piece>& pieces, std::size_t count)
        : pieces_(&pieces), count_(count) {}
    const_iterator begin() const { return {pieces_, 0}; }
    const_iterator end() const { return {pieces_, count_}; }
    std::size_t size() const { return count_; }

   private:
    const std::vector<piece>* pieces_;
    std::size_t count_;
  };

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
  bool idle() const { return pieces_.empty(); }
  bool writing() const { return in_flight_ > 0; }
  bool has_queued() const { return pieces_.size() > in_flight_; }
  /// Bytes queued or being written (not counting pinned ones).
  std::size_t bytes() const { return bytes_; }
  /// Pieces the queue has room for without allocating (for tests and metrics).
  std::size_t reserved_pieces() const { return pieces_.capacity(); }

  /// Makes everything queued the write in progress and returns its buffers. Call only when
  /// not writing() and has_queued().
  write_buffers start_write();

  /// The unwritten part of the write in progress (after consume()).
  write_buffers unwritten() const { return {pieces_, in_flight_}; }

  /// `written` bytes of the write in progress left: they are released, and unwritten() starts
  /// after them. The write ends (writing() turns false) when nothing of it is left.
  void consume(std::size_t written);

  /// The write in progress ended (done or failed): what is left of it is released.
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
  bool fits(std::size_t size) const { return bytes_ + pinned_ + size <= limit_bytes_; }
  // Drops the first `count` pieces (written), keeping the order of the rest.
  void release_front(std::size_t count);

  const std::size_t limit_bytes_;
  std::size_t bytes_ = 0;
  std::size_t pinned_ = 0;
  std::vector<piece> pieces_;  // the write in progress first (in_flight_ pieces), then queued
  std::size_t in_flight_ = 0;
};

}  // namespace livechat::net
