#pragma once
// One subscriber connection of the bench: connects from its source address, performs its
// protocol's handshake (HTTP for SSE; WebSocket upgrade, then STOMP CONNECT + SUBSCRIBE or the
// Socket.IO open + connect), then reads deliveries and tallies the markers they carry.
//
// Built for tens of thousands per process: reads go through the thread's shared buffer (the
// socket is waited on, then read without blocking), so an idle subscriber holds no buffer at
// all, only the bytes of a frame or event that has not arrived whole.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/chunked_decoder.hpp"
#include "bench/latency_histogram.hpp"
#include "net/websocket/opcode.hpp"

namespace livechat::bench {

/// What every subscriber of a process shares, fixed before the first one connects.
struct subscriber_plan {
  subscriber_protocol protocol = subscriber_protocol::sse;
  // Connection i goes to servers[i % n] (n servers) from sources[(i / n) % size]: every
  // server gets every source, so each (source, server) pair has its own ephemeral ports.
  struct server_target {
    boost::asio::ip::tcp::endpoint endpoint;
    std::string handshake;  // the HTTP request, its Host header this server's
  };
  std::vector<server_target> servers;
  std::vector<boost::asio::ip::address_v4> sources;
  std::string stomp_connect;    // WebSocket frames, ready to send
  std::string stomp_subscribe;
  std::size_t messages = 0;     // sequence numbers run 0 .. messages-1
  std::chrono::milliseconds connect_timeout{10000};
};

/// The plan for `options`: requests and frames rendered once.
subscriber_plan make_subscriber_plan(const bench_options& options);

/// What the subscribers of one I/O thread count. Touched only by that thread while it runs.
struct subscriber_tally {
  std::size_t made = 0;
  std::size_t failed = 0;
  std::size_t dropped = 0;    // made, then closed or broken before the end
  std::uint64_t received = 0; // first deliveries of a sequence number, per subscriber
  std::uint64_t duplicate = 0;
  std::uint64_t unexpected = 0;  // sequence numbers outside the run
  std::int64_t first_delivery_us = 0;
  std::int64_t last_delivery_us = 0;
  latency_histogram latency;
  latency_histogram connect_time;
  std::string first_failure;
  std::string limit;  // set when a system limit (descriptors, ports) refused a connection
};

/// The state of one I/O thread: its subscribers, its tally and its read buffer.
struct subscriber_thread {
  subscriber_thread(boost::asio::io_context& io, const subscriber_plan& plan);

  boost::asio::io_context& io;
  const subscriber_plan& plan;
  subscriber_tally tally;
  std::vector<char> read_buffer;
};

class subscriber {
 public:
  /// A subscriber of `thread`, the `index`-th of the run (which picks its source address).
  subscriber(subscriber_thread& thread, std::size_t index);
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

  /// Starts connecting. Exactly one of tally.made or tally.failed grows when the outcome is
  /// known; `on_resolved` (called on this thread) says so.
  void start(void (*on_resolved)(void* context), void* context);

  /// Fails the subscriber if it is still connecting after the plan's connect timeout.
  void check_timeout(std::int64_t now_us);

  bool live() const { return stage_ == stage::live; }

  /// True once it subscribed, even if it was dropped since.
  bool made() const { return made_; }

  /// How many of the sequence numbers in `acked` (a bitmap) this subscriber has received.
  std::uint64_t received_of(const std::vector<std::uint64_t>& acked) const;

 private:
  enum class stage : std::uint8_t {
    connecting,
    awaiting_head,
    awaiting_stomp_connected,
    awaiting_stomp_receipt,
    awaiting_socketio_open,
    awaiting_socketio_connect,
    live,
    failed,
    closed,
  };

  void wait_readable();
  void read_available();
  void on_bytes(std::string_view bytes, std::int64_t now_us);
  // Handles what it can of `bytes`; returns how many bytes it used (the rest waits for more).
  std::size_t consume(std::string_view bytes, std::int64_t now_us);
  std::size_t consume_sse(std::string_view bytes, std::int64_t now_us);
  std::size_t consume_websocket(std::string_view bytes, std::int64_t now_us);
  void on_websocket_message(std::string_view payload, std::int64_t now_us);
  void on_stomp_frame(std::string_view frame, std::int64_t now_us);
  void on_socketio_packet(std::string_view packet, std::int64_t now_us);
  void on_deliveries(std::string_view bytes, std::int64_t now_us);
  void send(std::string bytes);
  void send_frame(net::websocket::opcode op, std::string_view payload);
  void become_live(std::int64_t now_us);
  void fail(std::string_view reason);
  void resolve();

  subscriber_thread& thread_;
  boost::asio::ip::tcp::socket socket_;
  std::size_t index_;
  stage stage_ = stage::connecting;
  bool chunked_ = false;
  bool writing_ = false;
  bool resolved_ = false;
  bool made_ = false;
  std::int64_t started_us_ = 0;
  void (*on_resolved_)(void*) = nullptr;
  void* resolved_context_ = nullptr;
  std::string pending_;      // received bytes not yet whole (a frame, an event, a head)
  std::string text_;         // SSE payload decoded from chunks, not yet a whole line
  std::string fragments_;    // a fragmented WebSocket message so far
  std::string outbox_;       // bytes to send after the write in flight
  std::string writing_buffer_;
  std::unique_ptr<chunked_decoder> decoder_;
  std::vector<std::uint64_t> seen_;  // bitmap of sequence numbers received
};

}  // namespace livechat::bench
