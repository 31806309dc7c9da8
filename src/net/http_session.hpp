#pragma once
// One HTTP/1.1 connection: reads requests one at a time within the limits, hands each to the
// handler, writes the answer, and keeps the connection alive while the client wants it.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include "net/http_handler.hpp"
#include "net/io_context_pool.hpp"
#include "metrics/metrics.hpp"
#include "net/server_lifecycle.hpp"

namespace livechat::net {

struct http_limits {
  std::size_t max_body_bytes = 64 * 1024;    // larger: 413
  std::size_t max_header_bytes = 16 * 1024;  // larger: 431
  // The whole request, headers and body, must arrive within this time, counted from when the
  // connection starts waiting for it (idle keep-alive time included); so a client sending a
  // byte now and then (slowloris) cannot hold a connection.
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds write_timeout{30};
  // Tests only (LIVECHAT_FAILURE_INJECTION=1): a request header `Livechat-Fail-Write: n` makes
  // the n-th write of its connection from then on fail, as a reset connection's would (a write
  // is one response, or one gather write of a stream's queue). Off: the header means nothing.
  bool failure_injection = false;
};

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  /// `stream_threads`: where a connection taken over for streaming (SSE, WebSocket) goes to
  /// live, its socket moved to one of them in turn before the takeover runs there; null: it
  /// stays on this session's thread.
  http_session(boost::asio::ip::tcp::socket&& socket, http_handler& handler,
               const http_limits& limits, server_lifecycle& lifecycle,
               io_context_pool* stream_threads = nullptr);

  /// Starts reading requests; the session keeps itself alive while it has I/O pending.
  void start();

 private:
  void do_read();
  void on_read_header(boost::beast::error_code error, std::size_t bytes);
  void do_read_body();
  void on_read(boost::beast::error_code error, std::size_t bytes);
  void reject(model::client_errc errc, std::string_view message);
  void send(reply&& answer);
  void hand_over(connection_takeover&& takeover);
  void move_to_stream_thread(connection_takeover&& takeover);
  void on_write(boost::beast::error_code error, std::size_t bytes);
  // Failure injection (tests): arms the connection's write counter from a request's headers,
  // and, when the counter says this write is the one, fails it in place of writing.
  void arm_write_failures(const http_request& request_head);
  bool injected_write_failure();
  void close_gracefully();
  void do_discard();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http_response> response_;
  bool keep_alive_ = false;
  bool request_counted_ = false;
  std::chrono::steady_clock::time_point request_read_at_;
  std::optional<metrics::gauge_hold> counted_connection_{metrics::counters().http_connections};
  std::size_t lingered_bytes_ = 0;
  std::shared_ptr<model::fail_count> write_failures_;  // null unless a test armed them
  http_handler& handler_;
  const http_limits& limits_;
  server_lifecycle& lifecycle_;
  io_context_pool* stream_threads_;
};

}  // namespace livechat::net
