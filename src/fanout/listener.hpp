#pragma once
// The connection side of fan-out: a listener is one subscription to one room on one
// connection; a delivery sink is the connection, which writes what its listeners queued.

#include <boost/intrusive/list.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "fanout/batch.hpp"

namespace livechat::fanout {

struct stream_tag;
using stream_hook = boost::intrusive::list_base_hook<
    boost::intrusive::tag<stream_tag>, boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

// Linked while the connection waits for its write of the tick (see thread_fanout).
struct flush_tag;
using flush_hook = boost::intrusive::list_base_hook<
    boost::intrusive::tag<flush_tag>, boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

/// A streaming connection (SSE, STOMP) that queues deliveries during a tick and writes them
/// all at its end. Its thread's fan-out tracks it, to tell it when the server shuts down.
class delivery_sink : public stream_hook, public flush_hook {
 public:
  virtual ~delivery_sink() = default;

  /// Starts one write of everything queued so far. Called once per delivery pass, after every
  /// listener of this connection has had its batches; not at all if the connection is
  /// destroyed first.
  virtual void flush_deliveries() = 0;

  /// The server is shutting down: tell the client (STOMP ERROR, SSE end) and close once the
  /// queued bytes are written.
  virtual void shut_down() = 0;

  /// Called on the connection's thread every housekeeping interval (a quarter of a second):
  /// time to send a keep-alive that is due, or to give back buffers an idle connection no
  /// longer needs. One sweep per thread instead of a timer per connection: an idle
  /// connection then holds no timer and no pending timer operation. Must not destroy the
  /// connection synchronously (defer closing to a posted handler).
  virtual void on_housekeeping(std::chrono::steady_clock::time_point /*now*/) {}
};

using listener_hook = boost::intrusive::list_base_hook<
    boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

/// One subscription to one room, living on one I/O thread. Unlinks itself when destroyed.
class listener : public listener_hook {
 public:
  explicit listener(std::string room_id) : room_id_(std::move(room_id)) {}
  virtual ~listener() = default;

  const std::string& room_id() const { return room_id_; }

  /// Takes a batch of the room (in id order) and queues what the subscriber needs of it.
  /// Returns the connection to flush at the end of the tick, or null. Must not destroy or
  /// unlink any listener (the caller is iterating): defer closing to a posted handler.
  virtual delivery_sink* deliver(const std::shared_ptr<const batch>& delivered) = 0;

 private:
  std::string room_id_;
};

}  // namespace livechat::fanout
