#pragma once
// What a streaming connection (SSE, STOMP) needs from the node to subscribe to rooms.

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "broker/broker.hpp"
#include "fanout/room_hub.hpp"
#include "fanout/thread_fanout.hpp"

namespace livechat::fanout {

struct delivery_services {
  delivery_services(room_hub& hub, std::vector<std::unique_ptr<thread_fanout>>& thread_fanouts,
                    broker::broker& broker, boost::asio::thread_pool& workers,
                    std::size_t output_limit_bytes)
      : hub(hub),
        thread_fanouts(thread_fanouts),
        broker(broker),
        workers(workers),
        output_limit_bytes(output_limit_bytes) {}

  room_hub& hub;
  std::vector<std::unique_ptr<thread_fanout>>& thread_fanouts;  // by I/O thread index
  broker::broker& broker;
  boost::asio::thread_pool& workers;      // for history reads, which block
  std::size_t output_limit_bytes;         // a connection's queue; past it the reader is too slow
  std::atomic<std::size_t> open_streams{0};  // SSE and STOMP connections alive, for shutdown
};

/// Counts a streaming connection as open for as long as it lives.
class open_stream_count {
 public:
  explicit open_stream_count(delivery_services& services) : services_(services) {
    services_.open_streams.fetch_add(1, std::memory_order_relaxed);
  }
  ~open_stream_count() { services_.open_streams.fetch_sub(1, std::memory_order_relaxed); }
  open_stream_count(const open_stream_count&) = delete;
  open_stream_count& operator=(const open_stream_count&) = delete;

 private:
  delivery_services& services_;
};

}  // namespace livechat::fanout
