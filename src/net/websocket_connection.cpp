#include "net/websocket_connection.hpp"

#include <array>

#include "net/long_lived_handler.hpp"
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
    : streaming_connection(std::move(socket), output_limit_bytes), parser_(max_message_bytes) {}

websocket_connection::~websocket_connection() = default;

void websocket_connection::start(std::string handshake_response,
                                 boost::beast::flat_buffer&& already_read) {
  last_received_ = std::chrono::steady_clock::now();
  boost::system::error_code ignored;
  socket().non_blocking(true, ignored);
  (void)queue().push_owned(std::move(handshake_response));
  flush();
  if (already_read.size() > 0) {
    const auto data = already_read.data();
    if (!feed(std::string_view(static_cast<const char*>(data.data()), data.size()))) return;
  }
  do_wait_readable();
}

void websocket_connection::do_wait_readable() {
  if (reading_ || reading_paused_ || closed()) return;
  reading_ = true;
  socket().async_wait(asio::ip::tcp::socket::wait_read,
                      long_lived([self = shared_from_this(),
                                  this](const boost::system::error_code& error) {
                        on_readable(error);
                      }));
}

void websocket_connection::on_readable(const boost::system::error_code& error) {
  reading_ = false;
  if (closed()) return;
  if (error) return close_now();
  for (int turn = 0; turn < reads_per_turn; ++turn) {
    boost::system::error_code read_error;
    const std::size_t bytes = socket().read_some(asio::buffer(thread_read_buffer), read_error);
    if (read_error == asio::error::would_block) break;
    if (read_error) return close_now();  // the peer went away (EOF or reset)
    last_received_ = std::chrono::steady_clock::now();
    if (!feed(std::string_view(thread_read_buffer.data(), bytes))) return;
    if (reading_paused_ || closed()) return;
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
        if (!closing_ && !queue().push_owned(websocket::encode_frame(websocket::opcode::pong,
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
  flush();
  return !closed();
}

bool websocket_connection::send_text(std::string_view payload) {
  std::string frame;
  frame.reserve(websocket::frame_header_size(payload.size()) + payload.size());
  websocket::append_frame_header(frame, websocket::opcode::text, payload.size());
  frame += payload;
  return queue().push_owned(std::move(frame));
}

bool websocket_connection::send_frames(std::shared_ptr<const void> owner, std::string_view frames) {
  return queue().push_shared(std::move(owner), frames);
}

bool websocket_connection::send_frames(std::string frames) {
  return queue().push_owned(std::move(frames));
}

void websocket_connection::close_after_writes(std::uint16_t code, std::string_view reason) {
  if (closing_) return;
  begin_closing();
  if (!queue().push_owned(websocket::encode_close_frame(code, reason))) return close_now();
  // Our close frame is the last thing out: the client needs nothing more from us.
  end_after_writes();
}

void websocket_connection::on_close() { begin_closing(); }

void websocket_connection::begin_closing() {
  if (closing_) return;
  closing_ = true;
  on_closing();
}

}  // namespace livechat::net
