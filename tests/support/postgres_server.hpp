#pragma once
// A real PostgreSQL server for tests: a fresh cluster (initdb) in a temporary directory,
// listening on a free 127.0.0.1 port, stopped by its pid and removed when the object goes.
// PostgreSQL refuses to run as root, so under root it runs as the `postgres` user.
//
// The binaries come from $LIVECHAT_PG_BIN, else the newest /usr/lib/postgresql/<n>/bin
// (Debian's postgresql package).

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace livechat::test {

class postgres_server {
 public:
  /// Creates the cluster and starts the server; returns once it accepts connections. Throws
  /// std::runtime_error (with the server's log) when it cannot.
  postgres_server();
  /// Stops the server (fast shutdown) and removes its directory.
  ~postgres_server();

  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  /// One server for the whole test process, started on first use.
  static postgres_server& shared();

  /// The URL of `database` on this server, with the test user's credentials.
  std::string url(const std::string& database) const;

  /// Creates a new, empty database (a schema of its own, which the URL puts first in the
  /// search path) and returns its URL.
  std::string create_database();

  /// `kill -9` of the postmaster; returns once it is gone.
  void kill9();

  /// Starts the server again on the same directory and port (after kill9); returns once it
  /// accepts connections.
  void start();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }

 private:
  void stop() noexcept;

  std::filesystem::path directory_;
  std::filesystem::path binaries_;
  int port_ = 0;
  pid_t pid_ = -1;
  int databases_created_ = 0;
};

}  // namespace livechat::test
