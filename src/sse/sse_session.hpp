#pragma once
// One Server-Sent Events stream (SPEC.md section 5.2): the response head, `retry:`, the
// replay of what the client missed, then one event per tick with the room's messages, a
// `: ping` comment when idle for 15 s, and `event: closed` when the room closes. The body ends
// with the connection, so each tick's event is written exactly as the batch holds it.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "fanout/delivery_services.hpp"
#include "fanout/listener.hpp"
#include "fanout/room_subscription.hpp"
#include "metrics/metrics.hpp"
#include "net/streaming_connection.hpp"

namespace livechat::sse {

struct stream_options {
  std::string room_id;
  std::optional<std::int64_t> after_id;  // Last-Event-ID or sinceId: replay after it first
  std::string allow_origin;              // Access-Control-Allow-Origin value; empty: none
  bool ended = false;                    // an ended session: what was missed, then `closed`
  std::string member;                    // a chat room's reader: their exit ends the stream
  std::shared_ptr<void> held_places;     // viewer-limit tickets, given back with the stream
  std::chrono::seconds keep_alive_interval{15};
};

class sse_session : public net::streaming_connection, public fanout::delivery_sink {
 public:
  sse_session(boost::beast::tcp_stream&& stream, fanout::delivery_services& services,
              stream_options options);
  ~sse_session() override;

  /// Sends the head and starts the subscription. Call on the connection's I/O thread.
  void start(std::size_t thread_index);

  void flush_deliveries() override { flush(); }
  void shut_down() override;

 private:
  class room_stream;

  void do_watch_for_close();
  void on_housekeeping(std::chrono::steady_clock::time_point now) override;
  void on_output_drained() override;
  bool waits_for_drain() const override;
  void on_close() override;
  void fail_too_slow();

  fanout::delivery_services& services_;
  fanout::open_stream_count counted_;
  metrics::gauge_hold counted_connection_{metrics::counters().sse_connections};
  stream_options options_;
  std::shared_ptr<room_stream> subscription_;
};

}  // namespace livechat::sse
