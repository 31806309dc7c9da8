#pragma once
// One WebSocket connection after the handshake (RFC 6455): reads frames and hands whole text
// messages to the protocol above (STOMP), answers pings, closes properly, and writes what is
// queued — every frame of a tick in one gather write (the write side is streaming_connection's).
//
// Memory per idle connection is what this object holds: reads land in a buffer of the I/O
// thread's, and the parser keeps only an unfinished frame.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/streaming_connection.hpp"
#include "net/websocket/frame_parser.hpp"

namespace livechat::net {

class websocket_connection : public streaming_connection {
 public:
  websocket_connection(boost::asio::ip::tcp::socket&& socket, std::size_t output_limit_bytes,
                       std::size_t max_message_bytes);
  ~websocket_connection() override;

  /// Writes the handshake's 101 answer, feeds `already_read` (bytes the client sent after its
  /// request) to the parser, and starts reading. Call on the connection's I/O thread.
  void start(std::string handshake_response, boost::beast::flat_buffer&& already_read);

  /// True once the connection stopped taking messages (closing or closed).
  bool closing() const { return closing_; }

 protected:
  /// A whole text (or binary) message from the client.
  virtual void on_message(std::string&& payload) = 0;

  /// The connection is closing (by either side, or failing); called once. Release
  /// subscriptions here.
  virtual void on_closing() = 0;

  /// Queues `payload` as one text frame. False when over the output limit (the caller decides;
  /// usually the connection must go).
  [[nodiscard]] bool send_text(std::string_view payload);

  /// Queues bytes that are already WebSocket frames, kept alive by `owner` (shared batches).
  [[nodiscard]] bool send_frames(std::shared_ptr<const void> owner, std::string_view frames);

  /// Queues bytes that are already WebSocket frames, owned by the connection.
  [[nodiscard]] bool send_frames(std::string frames);

  /// Writes what is queued, then a close frame with `code` and `reason`, then closes.
  void close_after_writes(std::uint16_t code, std::string_view reason);

  /// Stops reading until resume_reading(): backpressure while a message is being handled.
  void pause_reading() { reading_paused_ = true; }
  void resume_reading();

  std::chrono::steady_clock::time_point last_received() const { return last_received_; }
  boost::asio::any_io_executor executor() { return socket().get_executor(); }

 private:
  void do_wait_readable();
  void on_readable(const boost::system::error_code& error);
  bool feed(std::string_view bytes);
  void on_close() override;
  void begin_closing();

  websocket::frame_parser parser_;
  std::chrono::steady_clock::time_point last_received_;
  bool reading_ = false;
  bool reading_paused_ = false;
  bool closing_ = false;          // no more messages are taken; close once writes finish
};

}  // namespace livechat::net
