#pragma once
// A real redis-server for tests: started on a free 127.0.0.1 port in a temporary directory
// (AOF on, fsync always, no RDB), stopped by its pid. It can be killed with SIGKILL and
// restarted on the same port and data, as a crash would leave it.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_config.hpp"
#include "redis/reply.hpp"

namespace livechat::test {

class redis_server {
 public:
  /// Starts redis-server (with `requirepass` when `password` is not empty) and returns once it
  /// answers PING; throws when it does not within 10 s.
  explicit redis_server(std::string password = {});
  /// Stops it (SIGTERM, waited for) and removes its directory.
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& directory() const { return directory_; }

  /// A client configuration for this server (with its password), fast timings for tests.
  redis::redis_config config() const;

  /// SIGKILL, waited for: the data on disk is what AOF with fsync always kept.
  void kill_hard();
  /// Starts it again on the same port and directory; returns once it answers PING.
  void restart();

  /// Runs one command on a fresh blocking connection (authenticated) and returns its reply.
  redis::reply command(std::initializer_list<std::string_view> args) const;
  redis::reply command(const std::vector<std::string>& args) const;

  /// The `id=` of every client whose `CLIENT LIST` line contains `name=<name>`.
  std::vector<std::string> client_ids(std::string_view name) const;

 private:
  void spawn();
  void wait_until_ready();
  void stop();

  std::string password_;
  std::uint16_t port_ = 0;
  std::filesystem::path directory_;
  pid_t pid_ = -1;
};

}  // namespace livechat::test
