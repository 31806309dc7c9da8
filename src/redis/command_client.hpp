#pragma once
// The command connection: pipelined commands (many in flight, replies in the order sent) and
// Lua scripts by EVALSHA. One per node; see connection.hpp for threading, lifetime and what a
// drop does to commands in flight.

#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>

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

 private:
  std::shared_ptr<command_client> shared_this();
};

}  // namespace livechat::redis
