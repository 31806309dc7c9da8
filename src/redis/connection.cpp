#include "redis/connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "redis/command_encoder.hpp"

namespace livechat::redis {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

std::int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

connection::connection(executor_type executor, redis_config config)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      resolver_(executor_),
      socket_(executor_),
      deadline_(executor_),
      ping_timer_(executor_) {}

connection::~connection() = default;

void connection::start() {
  if (state_ != state::idle) return;
  do_connect();
}

void connection::close() {
  if (state_ == state::closed) return;
  state_ = state::closed;
  ++generation_;
  stats_.connected.store(false, std::memory_order_relaxed);
  error_code ignored;
  resolver_.cancel();
  socket_.close(ignored);
  deadline_.cancel();
  ping_timer_.cancel();
  on_down(errc::shutdown);
  // Failures are posted, so that a caller's callback never runs inside its own close().
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& command : pending) {
    if (!command.internal) post_failure(std::move(command.done), errc::shutdown);
  }
  connected_handler_ = nullptr;
  disconnected_handler_ = nullptr;
}

void connection::set_connected_handler(std::function<void(bool)> handler) {
  connected_handler_ = std::move(handler);
}

void connection::set_disconnected_handler(std::function<void(error_code)> handler) {
  disconnected_handler_ = std::move(handler);
}

// --- connect and handshake -------------------------------------------------------------

void connection::do_connect() {
  state_ = state::connecting;
  auto generation = ++generation_;
  reader_.reset();
  write_buffer_.clear();
  writing_.clear();
  write_in_flight_ = false;
  unsent_commands_ = 0;
  ping_outstanding_ = false;

  deadline_.expires_after(config_.connect_timeout);
  deadline_.async_wait([self = shared_from_this(), generation](error_code error) {
    if (!error && self->is_current(generation) && self->state_ == state::connecting) {
      self->fail_connection(errc::timeout);
    }
  });
  resolver_.async_resolve(
      config_.host, std::to_string(config_.port),
      [self = shared_from_this(), generation](error_code error, tcp::resolver::results_type results) {
        self->on_resolve(generation, error, std::move(results));
      });
}

void connection::on_resolve(std::uint64_t generation, error_code error,
                            tcp::resolver::results_type results) {
  if (!is_current(generation)) return;
  if (error) return fail_connection(error);
  asio::async_connect(socket_, results,
                      [self = shared_from_this(), generation](error_code error, const tcp::endpoint&) {
                        self->on_connect(generation, error);
                      });
}

void connection::on_connect(std::uint64_t generation, error_code error) {
  if (!is_current(generation)) return;
  if (error) return fail_connection(error);
  socket_.set_option(tcp::no_delay(true), error);
  do_read();
  do_handshake();
}

void connection::do_handshake() {
  auto generation = generation_;
  auto check = [self = shared_from_this(), generation](error_code error, reply answer) {
    if (!error || !self->is_current(generation)) return;
    spdlog::warn("redis {}:{}: handshake refused: {}", self->config_.host, self->config_.port,
                 answer.text);
    self->fail_connection(errc::handshake_failed);
  };
  if (!config_.password.empty()) {
    if (config_.username.empty()) {
      std::string_view args[] = {"AUTH", config_.password};
      send(args, check, true);
    } else {
      std::string_view args[] = {"AUTH", config_.username, config_.password};
      send(args, check, true);
    }
  }
  std::string database = std::to_string(config_.database);
  if (config_.database != 0) {
    std::string_view args[] = {"SELECT", database};
    send(args, check, true);
  }
  if (!config_.client_name.empty()) {
    std::string_view args[] = {"CLIENT", "SETNAME", config_.client_name};
    send(args, check, true);
  }
  // PING last: Redis refuses it with -LOADING while it reads its AOF after a restart, so the
  // connection is not called up before the data is there.
  std::string_view ping[] = {"PING"};
  send(ping,
       [self = shared_from_this(), generation](error_code error, reply answer) {
         if (!self->is_current(generation)) return;
         if (error) {
           // -LOADING after a restart is expected; try again after the backoff.
           spdlog::debug("redis: PING refused during the handshake: {}", answer.text);
           return self->fail_connection(errc::handshake_failed);
         }
         self->on_handshake([self, generation] { self->on_handshake_done(generation); });
       },
       true);
}

void connection::on_handshake_done(std::uint64_t generation) {
  if (!is_current(generation) || state_ != state::connecting) return;
  deadline_.cancel();
  state_ = state::ready;
  failed_attempts_ = 0;
  bool reconnected = ever_connected_;
  ever_connected_ = true;
  stats_.connects.fetch_add(1, std::memory_order_relaxed);
  if (reconnected) stats_.reconnects.fetch_add(1, std::memory_order_relaxed);
  stats_.connected.store(true, std::memory_order_relaxed);
  stats_.last_pong_unix_ms.store(unix_millis(), std::memory_order_relaxed);
  arm_ping();
  // A copy: the handler may close() this connection, which drops connected_handler_.
  if (auto handler = connected_handler_) handler(reconnected);
}

// --- commands ----------------------------------------------------------------------------

void connection::post_failure(reply_callback done, errc error) {
  if (!done) return;
  stats_.failed_commands.fetch_add(1, std::memory_order_relaxed);
  asio::post(executor_, [done = std::move(done), error] { done(error, reply{}); });
}

void connection::send(std::span<const std::string_view> args, reply_callback done,
                      bool during_handshake) {
  bool accepted = state_ == state::ready || (during_handshake && state_ == state::connecting);
  if (!accepted) return post_failure(std::move(done), errc::not_connected);
  append_command(write_buffer_, args);
  enqueue(std::move(done), during_handshake);
}

void connection::send_encoded(std::string_view command, reply_callback done,
                              bool during_handshake) {
  bool accepted = state_ == state::ready || (during_handshake && state_ == state::connecting);
  if (!accepted) return post_failure(std::move(done), errc::not_connected);
  write_buffer_.append(command);
  enqueue(std::move(done), during_handshake);
}

void connection::send_without_reply(std::span<const std::string_view> args) {
  if (state_ != state::ready && state_ != state::connecting) return;
  append_command(write_buffer_, args);
  flush();
}

void connection::enqueue(reply_callback done, bool internal) {
  pending_.push_back({std::move(done), clock::now(), internal});
  ++unsent_commands_;
  flush();
}

void connection::flush() {
  if (write_in_flight_ || write_buffer_.empty() || !socket_.is_open()) return;
  write_in_flight_ = true;
  std::swap(writing_, write_buffer_);
  write_buffer_.clear();
  unsent_commands_ = 0;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this(), generation = generation_](error_code error, std::size_t) {
                      self->on_write(generation, error);
                    });
}

void connection::on_write(std::uint64_t generation, error_code error) {
  if (!is_current(generation)) return;
  if (error) return fail_connection(error);
  write_in_flight_ = false;
  writing_.clear();
  flush();
}

// --- replies -----------------------------------------------------------------------------

void connection::do_read() {
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this(), generation = generation_](error_code error,
                                                                                 std::size_t bytes) {
                            self->on_read(generation, error, bytes);
                          });
}

void connection::on_read(std::uint64_t generation, error_code error, std::size_t bytes) {
  if (!is_current(generation)) return;
  if (error) return fail_connection(error);
  if (!reader_.feed(read_buffer_.data(), bytes)) return fail_connection(errc::protocol_error);
  for (;;) {
    bool failed = false;
    auto message = reader_.next(failed);
    if (failed) return fail_connection(errc::protocol_error);
    if (!message) break;
    dispatch(*message);
    // A callback may have closed this connection (or it dropped): stop reading this socket.
    if (!is_current(generation)) return;
  }
  do_read();
}

void connection::dispatch(reply& message) {
  if (on_push(message)) return;
  if (pending_.empty()) return fail_connection(errc::protocol_error);
  auto command = std::move(pending_.front());
  pending_.pop_front();
  if (!command.internal) {
    stats_.replies.fetch_add(1, std::memory_order_relaxed);
    stats_.record_latency(clock::now() - command.sent_at);
    if (message.is_error()) stats_.error_replies.fetch_add(1, std::memory_order_relaxed);
  }
  error_code error;
  if (message.is_error()) error = errc::server_error;
  if (command.done) command.done(error, std::move(message));
}

// --- health ------------------------------------------------------------------------------

void connection::arm_ping() {
  ping_timer_.expires_after(config_.ping_interval);
  ping_timer_.async_wait([self = shared_from_this(), generation = generation_](error_code error) {
    if (!error) self->on_ping_timer(generation);
  });
}

void connection::on_ping_timer(std::uint64_t generation) {
  if (!is_current(generation) || state_ != state::ready) return;
  if (ping_outstanding_) {
    if (clock::now() - ping_sent_at_ > config_.ping_timeout) return fail_connection(errc::timeout);
  } else {
    ping_outstanding_ = true;
    ping_sent_at_ = clock::now();
    std::string_view ping[] = {"PING"};
    send(ping,
         [self = shared_from_this(), generation](error_code error, reply) {
           if (!self->is_current(generation)) return;
           self->ping_outstanding_ = false;
           if (error) return;
           auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() -
                                                                             self->ping_sent_at_);
           self->stats_.last_ping_rtt_us.store(static_cast<std::uint64_t>(rtt.count()),
                                               std::memory_order_relaxed);
           self->stats_.last_pong_unix_ms.store(unix_millis(), std::memory_order_relaxed);
         },
         true);
  }
  arm_ping();
}

// --- failure and reconnect ---------------------------------------------------------------

void connection::fail_connection(error_code error) {
  if (state_ == state::closed || state_ == state::waiting || state_ == state::idle) return;
  ++generation_;
  error_code ignored;
  resolver_.cancel();
  socket_.close(ignored);
  deadline_.cancel();
  ping_timer_.cancel();
  stats_.connected.store(false, std::memory_order_relaxed);
  stats_.connection_failures.fetch_add(1, std::memory_order_relaxed);
  state_ = state::waiting;
  on_down(error);
  fail_pending(errc::connection_lost, errc::not_connected);
  if (auto handler = disconnected_handler_) handler(error);
  // A handler may have closed the connection.
  if (state_ == state::waiting) schedule_reconnect();
}

void connection::fail_pending(errc sent_error, errc unsent_error) {
  auto pending = std::move(pending_);
  pending_.clear();
  std::size_t sent = pending.size() - std::min(unsent_commands_, pending.size());
  unsent_commands_ = 0;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    auto& command = pending[i];
    if (command.internal || !command.done) continue;
    stats_.failed_commands.fetch_add(1, std::memory_order_relaxed);
    command.done(i < sent ? sent_error : unsent_error, reply{});
  }
}

void connection::schedule_reconnect() {
  auto shift = std::min(failed_attempts_, 16u);
  ++failed_attempts_;
  auto delay = std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(config_.reconnect_initial_delay.count() << shift),
      config_.reconnect_max_delay);
  deadline_.expires_after(delay);
  deadline_.async_wait([self = shared_from_this(), generation = generation_](error_code error) {
    if (!error && self->is_current(generation) && self->state_ == state::waiting) self->do_connect();
  });
}

}  // namespace livechat::redis
