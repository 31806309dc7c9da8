#pragma once
// One TCP connection to Redis, driven by Asio: asynchronous resolve, connect and handshake
// (AUTH, SELECT, CLIENT SETNAME), pipelined commands whose replies are matched in FIFO order,
// a health PING, and reconnection with capped exponential backoff. command_client and
// subscriber are the two kinds built on it.
//
// Threading: everything runs on the executor given at creation (an io_context's executor
// with one thread, or a strand). Call every member function there, except `stats()` which any
// thread may read. Callbacks run there too, never inside the call that started them.
//
// Lifetime: create with make_shared (the `create` functions of the kinds); pending handlers
// keep the object alive, so call `close()` to end it: pending commands then fail with
// errc::shutdown, no callback is called after those, and the object goes once its last
// handler has run. The handlers set with set_*_handler are dropped at close(), which breaks
// any cycle through them (a handler may capture a shared_ptr to the client's owner).
//
// Drops: when an established connection drops, every command in flight fails with
// errc::connection_lost (it may or may not have run) and every command not yet written with
// errc::not_connected; nothing is retried. A command sent while the connection is down fails
// at once with errc::not_connected. The connection then retries after 50 ms, 100 ms, … up to
// reconnect_max_delay, for ever, until close().

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "redis/connection_stats.hpp"
#include "redis/redis_config.hpp"
#include "redis/redis_error.hpp"
#include "redis/reply.hpp"

namespace livechat::redis {

/// Completion of one command: an error (errc, or a socket error) and the reply. A Redis error
/// reply comes as errc::server_error with the reply holding its text.
using reply_callback = std::function<void(boost::system::error_code, reply)>;

class connection : public std::enable_shared_from_this<connection> {
 public:
  using executor_type = boost::asio::any_io_executor;
  using clock = std::chrono::steady_clock;

  connection(executor_type executor, redis_config config);
  virtual ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Starts connecting (and reconnecting after drops) until close(). Call once.
  void start();

  /// Stops for good: the socket closes, pending commands fail with errc::shutdown.
  void close();

  /// True between a finished handshake and the next drop.
  bool connected() const { return state_ == state::ready; }

  /// `handler(reconnected)` after each handshake (false the first time): subscriptions are
  /// back by then (subscriber), so this is the moment to fill gaps.
  void set_connected_handler(std::function<void(bool reconnected)> handler);

  /// `handler(error)` each time an attempt fails or an established connection drops.
  void set_disconnected_handler(std::function<void(boost::system::error_code)> handler);

  /// Commands sent and not yet answered (a caller may refuse work above some bound).
  std::size_t in_flight() const { return pending_.size(); }

  const connection_stats& stats() const { return stats_; }
  const executor_type& get_executor() const { return executor_; }

 protected:
  /// Queues one command; `done` gets its reply. Before the handshake finished only
  /// `during_handshake` commands are taken (the others fail with errc::not_connected).
  void send(std::span<const std::string_view> args, reply_callback done,
            bool during_handshake = false);

  /// Same with the command already RESP-encoded.
  void send_encoded(std::string_view command, reply_callback done, bool during_handshake = false);

  /// Queues a command whose replies come as pushes (SUBSCRIBE…): nothing waits in the FIFO.
  void send_without_reply(std::span<const std::string_view> args);

  /// Calls `done(error)` later on the executor (never inside the caller).
  void post_failure(reply_callback done, errc error);

  /// A reply that is not the answer to a queued command (pub/sub); true when it was taken.
  virtual bool on_push(reply& /*message*/) { return false; }

  /// After AUTH/SELECT succeeded, before `connected`: the kind restores its state (for example
  /// resubscribes) and calls `ready()` once that is done, on this connection.
  virtual void on_handshake(std::function<void()> ready) { ready(); }

  /// An attempt failed, the connection dropped, or close() (errc::shutdown); runs before
  /// pending commands fail.
  virtual void on_down(boost::system::error_code /*error*/) {}

  /// True while `generation` is the current connection attempt (guards stale callbacks).
  bool is_current(std::uint64_t generation) const { return generation == generation_; }
  std::uint64_t generation() const { return generation_; }

 private:
  enum class state { idle, connecting, ready, waiting, closed };

  struct pending_command {
    reply_callback done;
    clock::time_point sent_at;
    bool internal = false;  // handshake or PING: not a caller's command, not in the stats
  };

  void do_connect();
  void on_resolve(std::uint64_t generation, boost::system::error_code error,
                  boost::asio::ip::tcp::resolver::results_type results);
  void on_connect(std::uint64_t generation, boost::system::error_code error);
  void do_handshake();
  void on_handshake_done(std::uint64_t generation);
  void do_read();
  void on_read(std::uint64_t generation, boost::system::error_code error, std::size_t bytes);
  void dispatch(reply& message);
  void flush();
  void on_write(std::uint64_t generation, boost::system::error_code error);
  void arm_ping();
  void on_ping_timer(std::uint64_t generation);
  void fail_connection(boost::system::error_code error);
  void fail_pending(errc sent_error, errc unsent_error);
  void schedule_reconnect();
  void enqueue(reply_callback done, bool internal);

  executor_type executor_;
  redis_config config_;
  state state_ = state::idle;
  std::uint64_t generation_ = 0;
  bool ever_connected_ = false;
  unsigned failed_attempts_ = 0;

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;    // connect timeout, then the reconnect wait
  boost::asio::steady_timer ping_timer_;
  clock::time_point ping_sent_at_{};
  bool ping_outstanding_ = false;

  reply_reader reader_;
  std::array<char, 64 * 1024> read_buffer_{};
  std::string write_buffer_;   // commands queued since the last write started
  std::string writing_;        // the bytes of the write in flight
  std::size_t unsent_commands_ = 0;  // FIFO entries whose bytes are still in write_buffer_
  bool write_in_flight_ = false;
  std::deque<pending_command> pending_;

  std::function<void(bool)> connected_handler_;
  std::function<void(boost::system::error_code)> disconnected_handler_;
  connection_stats stats_;
};

}  // namespace livechat::redis
