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
#include "fanout/output_queue.hpp"
#include "fanout/room_subscription.hpp"
#include "metrics/metrics.hpp"

namespace livechat::sse {

struct stream_options {
  std::string room_id;
  std::optional<std::int64_t> after_id;  // Last-Event-ID or sinceId: replay after it first
  std::string allow_origin;              // Access-Control-Allow-Origin value; empty: none
  bool ended = false;                    // an ended session: what was missed, then `closed`
  std::shared_ptr<void> held_places;     // viewer-limit tickets, given back with the stream
  std::chrono::seconds keep_alive_interval{15};
};

class sse_session : public fanout::delivery_sink,
                    public std::enable_shared_from_this<sse_session> {
 public:
  sse_session(boost::beast::tcp_stream&& stream, fanout::delivery_services& services,
              stream_options options);
  ~sse_session() override;

  /// Sends the head and starts the subscription. Call on the connection's I/O thread.
  void start(std::size_t thread_index);

  void flush_deliveries() override;
  void shut_down() override;

 private:
  class room_stream;

  void do_write();
  void on_write(const boost::system::error_code& error);
  void do_watch_for_close();
  void on_housekeeping(std::chrono::steady_clock::time_point now) override;
  void end_after_writes();
  void close();
  void fail_too_slow();

  boost::asio::ip::tcp::socket socket_;
  fanout::delivery_services& services_;
  fanout::open_stream_count counted_;
  metrics::gauge_hold counted_connection_{metrics::counters().sse_connections};
  stream_options options_;
  fanout::output_queue queue_;
  std::shared_ptr<room_stream> subscription_;
  std::chrono::steady_clock::time_point last_write_;  // the start of the latest write
  bool ending_ = false;  // the stream ends once what is queued is written
  bool closed_ = false;
  char watch_byte_ = 0;
};

}  // namespace livechat::sse
