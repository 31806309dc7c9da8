#pragma once
// The command connection: pipelined commands (many in flight, replies in the order sent) and
// Lua scripts by EVALSHA. One per node; see connection.hpp for threading, lifetime and what a
// drop does to commands in flight.
//
// Failure injection (tests only): `failures()` is asked once per execute() or evalsha(), and
// a command it fails is not sent: `done` gets errc::not_connected, posted, as if the
// connection were down at that moment. The seam is here rather than in `connection` because
// this is where one caller's command is one call: an evalsha that meets NOSCRIPT sends two
// more commands of its own, the handshake and the health PING are the connection's, and the
// subscriber's SUBSCRIBEs are confirmed by pushes, not by a reply callback that could fail.
// Unarmed, it costs an atomic increment per command, which is a network round trip.

#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>

#include "model/fail_count.hpp"
#include "redis/connection.hpp"
#include "redis/script.hpp"

namespace livechat::redis {

class command_client : public connection {
 public:
  /// A client on `executor` (not yet connecting: call start()).
  static std::shared_ptr<command_client> create(executor_type executor, redis_config config);

  command_client(executor_type executor, redis_config config);

  /// Sends one command (`{"INCR", key}`); `done(error, reply)` runs once, on the executor.
  void execute(std::span<const std::string_view> args, reply_callback done);
  void execute(std::initializer_list<std::string_view> args, reply_callback done);

  /// Runs `lua` by EVALSHA. On NOSCRIPT (a restarted or flushed Redis) it loads the script
  /// and sends the EVALSHA again, once: NOSCRIPT means the script did not run, so this never
  /// runs it twice; the retry is ordered after commands sent meanwhile. `lua` must outlive
  /// the call (the embedded scripts are static).
  void evalsha(const script& lua, std::span<const std::string_view> keys,
               std::span<const std::string_view> args, reply_callback done);

  /// The count of execute() and evalsha() calls a test arms to make the n-th one fail (any
  /// thread: it is atomic, and lives as long as the client).
  model::fail_count& failures() { return failures_; }

 private:
  std::shared_ptr<command_client> shared_this();

  model::fail_count failures_;
};

}  // namespace livechat::redis
