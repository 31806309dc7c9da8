#pragma once
// What a streaming connection (SSE, STOMP) needs from the node to subscribe to rooms.

#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <memory>
#include <vector>

#include "broker/broker.hpp"
#include "fanout/room_hub.hpp"
#include "fanout/thread_fanout.hpp"

namespace livechat::fanout {

struct delivery_services {
  room_hub& hub;
  std::vector<std::unique_ptr<thread_fanout>>& thread_fanouts;  // by I/O thread index
  broker::broker& broker;
  boost::asio::thread_pool& workers;      // for history reads, which block
  std::size_t output_limit_bytes;         // a connection's queue; past it the reader is too slow
};

}  // namespace livechat::fanout
