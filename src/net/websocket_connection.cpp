#include "net/websocket_connection.hpp"

#include <boost/asio/write.hpp>

#include <array>

#include "net/websocket/close_code.hpp"
#include "net/websocket/frame_writer.hpp"

namespace livechat::net {

namespace asio = boost::asio;

namespace {

// Reads of every connection of an I/O thread land here, one after another: an idle connection
// holds no read buffer of its own.
constexpr std::size_t read_chunk_bytes = 64 * 1024;
thread_local std::array<char, read_chunk_bytes> thread_read_buffer;
// Reads per wake-up before yielding: a client that floods cannot keep its thread's other
// connections waiting.
constexpr int reads_per_turn = 4;

}  // namespace

websocket_connection::websocket_connection(asio::ip::tcp::socket&& socket,
                                           std::size_t output_limit_bytes,
                                           std::size_t max_message_bytes)
    : socket_(std::move(socket)), queue_(output_limit_bytes), parser_(max_message_bytes) {}

websocket_connection::~websocket_connection() = default;

void websocket_connection::on_housekeeping(std::chrono::steady_clock::time_point now) {
  queue_.release_spare_capacity(last_sent_, now);
}

void websocket_connection::start(std::string handshake_response,
                                 boost::beast::flat_buffer&& already_read) {
  last_received_ = last_sent_ = std::chrono::steady_clock::now();
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  (void)queue_.push_owned(std::move(handshake_response));
  flush_deliveries();
  if (already_read.size() > 0) {
    const auto data = already_read.data();
    if (!feed(std::string_view(static_cast<const char*>(data.data()), data.size()))) return;
  }
  do_wait_readable();
}

void websocket_connection::do_wait_readable() {
  if (reading_ || reading_paused_ || closed_) return;
  reading_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& error) {
                       self->on_readable(error);
                     });
}

void websocket_connection::on_readable(const boost::system::error_code& error) {
  reading_ = false;
  if (closed_) return;
  if (error) return close_now();
  for (int turn = 0; turn < reads_per_turn; ++turn) {
    boost::system::error_code read_error;
    const std::size_t bytes = socket_.read_some(asio::buffer(thread_read_buffer), read_error);
    if (read_error == asio::error::would_block) break;
    if (read_error) return close_now();  // the peer went away (EOF or reset)
    last_received_ = std::chrono::steady_clock::now();
    if (!feed(std::string_view(thread_read_buffer.data(), bytes))) return;
    if (reading_paused_ || closed_) return;
    if (bytes < thread_read_buffer.size()) break;
  }
  do_wait_readable();
}

void websocket_connection::resume_reading() {
  reading_paused_ = false;
  do_wait_readable();
}

bool websocket_connection::feed(std::string_view bytes) {
  const auto error = parser_.consume(bytes, [this](websocket::frame_event&& event) {
    switch (event.op) {
      case websocket::opcode::text:
      case websocket::opcode::binary:
        if (!closing_) on_message(std::move(event.payload));
        break;
      case websocket::opcode::ping:
        if (!closing_ && !queue_.push_owned(websocket::encode_frame(websocket::opcode::pong,
                                                                    event.payload))) {
          close_now();
        }
        break;
      case websocket::opcode::pong:
        break;
      case websocket::opcode::close:
        close_after_writes(websocket::close_code::normal, "");
        break;
      case websocket::opcode::continuation:
        break;  // never reported: fragments arrive reassembled
    }
  });
  if (error) {
    close_after_writes(error->close_code, error->reason);
    return false;
  }
  flush_deliveries();
  return !closed_;
}

bool websocket_connection::send_text(std::string_view payload) {
  std::string frame;
  frame.reserve(websocket::frame_header_size(payload.size()) + payload.size());
  websocket::append_frame_header(frame, websocket::opcode::text, payload.size());
  frame += payload;
  return queue_.push_owned(std::move(frame));
}

bool websocket_connection::send_frames(std::shared_ptr<const void> owner, std::string_view frames) {
  return queue_.push_shared(std::move(owner), frames);
}

bool websocket_connection::send_frames(std::string frames) {
  return queue_.push_owned(std::move(frames));
}

void websocket_connection::flush_deliveries() {
  if (closed_ || queue_.writing() || !queue_.has_queued()) return;
  do_write();
}

void websocket_connection::do_write() {
  last_sent_ = std::chrono::steady_clock::now();
  asio::async_write(socket_, queue_.start_write(),
                    [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                      self->on_write(error);
                    });
}

void websocket_connection::on_write(const boost::system::error_code& error) {
  queue_.finish_write();
  if (closed_) return;
  if (error) return close_now();
  // This may queue more and start the next write itself (a paced replay flushes).
  if (!closing_) on_output_drained();
  if (closed_ || queue_.writing()) return;
  if (queue_.has_queued()) return do_write();
  if (close_frame_queued_) {
    // Our close frame is out: the client needs nothing more from us.
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    close_now();
  }
}

void websocket_connection::close_after_writes(std::uint16_t code, std::string_view reason) {
  if (closing_) return;
  begin_closing();
  if (!queue_.push_owned(websocket::encode_close_frame(code, reason))) return close_now();
  close_frame_queued_ = true;
  flush_deliveries();
}

void websocket_connection::close_now() {
  if (closed_) return;
  begin_closing();
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void websocket_connection::begin_closing() {
  if (closing_) return;
  closing_ = true;
  on_closing();
}

}  // namespace livechat::net
