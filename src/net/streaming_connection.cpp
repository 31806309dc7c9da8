#include "net/streaming_connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace livechat::net {

namespace asio = boost::asio;

streaming_connection::streaming_connection(asio::ip::tcp::socket&& socket,
                                           std::size_t output_limit_bytes)
    : socket_(std::move(socket)),
      queue_(output_limit_bytes),
      last_sent_(std::chrono::steady_clock::now()) {
  // Writes are tried at once and must never block the thread: what the socket does not take
  // waits for it to turn writable (do_write).
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

streaming_connection::~streaming_connection() = default;

void streaming_connection::do_write() {
  last_sent_ = std::chrono::steady_clock::now();
  write_progress_ = 0;
  progress_seen_ = 0;
  progress_at_ = last_sent_;
  (void)queue_.start_write();
  if (write_failures_ && write_failures_->count()) {
    // Injected (tests): the write fails as a reset connection's would, having sent nothing.
    return asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->on_write(asio::error::connection_reset);
    });
  }
  // Written at once when the socket takes it all (nearly always): no operation to allocate,
  // no completion to queue behind the thread's other work. Only what the socket could not
  // take waits for it to turn writable.
  boost::system::error_code error;
  while (queue_.writing() && !error) {
    const std::size_t written = socket_.write_some(queue_.unwritten(), error);
    write_progress_ += written;
    queue_.consume(written);
  }
  if (!queue_.writing()) return on_written_at_once();
  if (error != asio::error::would_block && error != asio::error::try_again) {
    return asio::post(socket_.get_executor(), [self = shared_from_this(), error] {
      self->on_write(error);
    });
  }
  const std::size_t written_at_once = write_progress_;
  asio::async_write(
      socket_, queue_.unwritten(),
      // Called before each piece of the write with what has left so far: the progress that the
      // write deadline watches, at no cost beyond a store.
      [this, written_at_once](const boost::system::error_code& error,
                              std::size_t written) -> std::size_t {
        write_progress_ = written_at_once + written;
        return asio::transfer_all()(error, written);
      },
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
        self->on_write(error);
      });
}

void streaming_connection::on_written_at_once() {
  // What a completed write leads to (a paced replay going on, the end of an ending stream)
  // runs as a handler of its own, as it would after a write that waited: the code that
  // flushed may still be on the stack. Most writes lead to nothing, and post nothing.
  if (!ending_ && !waits_for_drain()) return;
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->after_write(); });
}

void streaming_connection::on_write(const boost::system::error_code& error) {
  queue_.finish_write();
  if (closed_) return;
  if (error) return close_now();
  after_write();
}

void streaming_connection::after_write() {
  if (closed_ || queue_.writing()) return;
  // This may queue more and start the next write itself (a paced replay flushes).
  on_output_drained();
  if (closed_ || queue_.writing()) return;
  if (queue_.has_queued()) return do_write();
  if (ending_) shut_down_and_close();
}

bool streaming_connection::write_stalled(std::chrono::steady_clock::time_point now) {
  if (!queue_.writing()) return false;
  if (write_progress_ != progress_seen_) {
    progress_seen_ = write_progress_;
    progress_at_ = now;
    return false;
  }
  return now - progress_at_ >= write_deadline;
}

void streaming_connection::end_after_writes() {
  ending_ = true;
  if (queue_.idle()) return shut_down_and_close();
  flush();
}

void streaming_connection::shut_down_and_close() {
  // Everything is out: a clean FIN tells the client (it ends an SSE body, and follows a
  // WebSocket close frame).
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  close_now();
}

void streaming_connection::close_now() {
  if (closed_) return;
  closed_ = true;
  on_close();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace livechat::net
