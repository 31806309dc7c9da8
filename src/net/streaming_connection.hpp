#pragma once
// The write side of a long-lived server-to-client stream on one socket (SSE, WebSocket): what
// the protocol above queues waits in an output_queue and leaves in one gather write; the
// stream ends either at once (close_now) or once what is queued is written (end_after_writes,
// then a clean FIN). Reading is the protocol's own: a WebSocket reads frames, an SSE stream
// only watches for the client going away.
//
// One thread: every call on the connection's I/O thread.

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

#include "model/fail_count.hpp"
#include "net/output_queue.hpp"

namespace livechat::net {

class streaming_connection : public std::enable_shared_from_this<streaming_connection> {
 public:
  /// `output_limit_bytes`: queued plus being written; past it the reader is too slow.
  streaming_connection(boost::asio::ip::tcp::socket&& socket, std::size_t output_limit_bytes);
  virtual ~streaming_connection();
  streaming_connection(const streaming_connection&) = delete;
  streaming_connection& operator=(const streaming_connection&) = delete;

  /// Starts one write of everything queued, unless a write is in progress or nothing is queued.
  void flush() {
    if (closed_ || queue_.writing() || !queue_.has_queued()) return;
    do_write();
  }

  /// Closes at once, dropping what is queued (a slow reader, a broken peer, the client gone).
  void close_now();

  bool closed() const { return closed_; }

  /// Failure injection (tests; see http_limits::failure_injection): the write `failures` says
  /// must fail completes with connection_reset, having sent nothing. Null (the default): none.
  void inject_write_failures(std::shared_ptr<model::fail_count> failures) {
    write_failures_ = std::move(failures);
  }

  /// A write that has made no progress for this long belongs to a client that stopped reading
  /// (a zero TCP window): the connection is closed (SPEC section 8), whatever its heart-beats.
  static constexpr std::chrono::seconds write_deadline{30};

 protected:
  /// A write completed, so the queue has room again (a paced replay goes on). May queue more
  /// and flush. Called only when waits_for_drain() said so when the write ended, or after a
  /// write that had to wait for the socket.
  virtual void on_output_drained() {}

  /// True when something (a paced replay) waits for the queue to drain: a write that
  /// completes at once then still calls on_output_drained(), from a handler of its own.
  virtual bool waits_for_drain() const { return false; }

  /// The connection closes, by close_now, a failed write or the end of end_after_writes.
  /// Called once, before the socket closes: release subscriptions here.
  virtual void on_close() {}

  /// Nothing more will be queued: once what is queued is written, the sending side shuts down
  /// and the connection closes (at once when nothing is queued).
  void end_after_writes();

  /// As end_after_writes, but never closes from inside this call (for code that runs while
  /// the fan-out iterates over listeners): the end comes with the next completed write, so
  /// something must be queued.
  void end_after_queued_writes() { ending_ = true; }

  /// True once end_after_writes (or end_after_queued_writes) was called.
  bool ending() const { return ending_; }

  /// A connection that has not started a write for a second gives back its queue's spare
  /// slots (see output_queue::release_spare_capacity).
  void release_spare_capacity(std::chrono::steady_clock::time_point now) {
    queue_.release_spare_capacity(last_sent_, now);
  }

  /// True when a write is in progress and no byte of it has left for write_deadline: the
  /// caller closes the connection. Call from the periodic sweep; `now` is the sweep's time.
  bool write_stalled(std::chrono::steady_clock::time_point now);

  output_queue& queue() { return queue_; }
  const output_queue& queue() const { return queue_; }
  boost::asio::ip::tcp::socket& socket() { return socket_; }
  /// The start of the latest write (or the connection's creation).
  std::chrono::steady_clock::time_point last_sent() const { return last_sent_; }

 private:
  void do_write();
  void on_written_at_once();
  void on_write(const boost::system::error_code& error);
  void after_write();
  void shut_down_and_close();

  boost::asio::ip::tcp::socket socket_;
  output_queue queue_;
  std::chrono::steady_clock::time_point last_sent_;
  // Progress of the write in progress: bytes written so far (updated by the write itself),
  // the count the sweep last saw, and when that count last moved.
  std::size_t write_progress_ = 0;
  std::size_t progress_seen_ = 0;
  std::chrono::steady_clock::time_point progress_at_;
  std::shared_ptr<model::fail_count> write_failures_;  // null unless a test armed them
  bool ending_ = false;
  bool closed_ = false;
};

}  // namespace livechat::net
