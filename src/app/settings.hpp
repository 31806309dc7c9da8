#pragma once
// The process's settings (SPEC.md section 1): each one an environment variable and a command-line
// flag of the same name in lower case with dashes (`FLUSH_INTERVAL_MS` = `--flush-interval-ms`).
// The flag wins over the variable. An empty value counts as unset (so `REDIS_HOST=` in a compose
// file does not switch cluster mode on), except JWT_SECRET, where an empty value is an error: it
// almost always means a secret that failed to reach the process.
//
// Every value is checked at start; a bad one stops the process with a message naming the
// setting. Values that may carry credentials (URLs, secrets, keys) are never echoed in messages.

#include <spdlog/common.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace livechat::app {

/// What the binary was asked to run: `livechat [settings] [serve|saver|bench]`, serve by
/// default. Settings may also follow `serve` and `saver`; everything after `bench` is the
/// bench's own arguments (its `--help` included), left for it to parse.
enum class command { serve, saver, bench };

struct settings {
  command subcommand = command::serve;
  bool with_saver = false;  // `serve --with-saver`: run the persistence worker in-process
  std::vector<std::string> bench_arguments;  // everything after `bench`: the bench's own

  std::string host = "0.0.0.0";  // an IP address literal
  std::uint16_t port = 8080;     // 9090 for `saver`
  unsigned threads = 1;          // default: the number of cores
  std::string data_dir = "./data";
  std::string database_url;      // empty: SQLite in data_dir (embedded mode)

  std::string redis_host;        // REDIS_HOST or its alias REDIS_IP
  std::uint16_t redis_port = 6379;
  std::string redis_password;
  std::string redis_url;         // redis://…; exclusive with redis_host

  std::string jwt_secret;        // the HMAC key's bytes, decoded when given as base64:<data>
  bool jwt_secret_generated = false;  // JWT_SECRET was unset: random bytes; the caller warns
  std::chrono::seconds access_token_ttl{7200};
  std::chrono::seconds refresh_token_ttl{604800};

  std::string livechat_api_key;  // empty: the tenant server API answers 404
  std::string tenant_base_url;   // http(s) URL without trailing `/`; empty: no usage reporting
  std::chrono::milliseconds billing_interval{1000};

  std::chrono::milliseconds flush_interval{24};  // 0: deliver at once
  std::size_t history_size = 1000;
  std::size_t max_message_length = 2000;  // characters in `contents`
  std::uint32_t rate_limit_per_s = 10;
  std::uint32_t rate_limit_burst = 20;
  std::size_t max_viewers_per_session = 0;  // 0: no limit
  std::size_t max_streams_per_ip = 0;       // 0: no limit
  std::size_t max_subscriptions_per_connection = 100;
  std::size_t max_streams = 0;  // 0: the descriptor limit less 256 (see server.cpp)
  std::vector<std::string> cors_origins{"*"};  // origins as written; "*" allows any
  spdlog::level::level_enum log_level = spdlog::level::info;
  // LIVECHAT_FAILURE_INJECTION=1, for tests only and kept out of --help: the server honours
  // the request header that makes a connection's n-th write fail (net::http_limits).
  bool failure_injection = false;

  /// True when nodes share state through Redis: REDIS_HOST (REDIS_IP) or REDIS_URL is set.
  bool cluster_mode() const { return !redis_host.empty() || !redis_url.empty(); }

  /// True when CORS_ORIGINS lets any origin in.
  bool allows_any_origin() const;
};

/// A setting has a bad value, or the command line is malformed. what() names the setting,
/// e.g. `PORT (--port): "abc" is not a port number (1-65535)`; print it and exit non-zero.
class settings_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `--help` was asked for (on the command or a subcommand). what() is the help text, listing
/// every setting with its variable, default and meaning; print it to stdout and exit 0.
/// Deliberately not a settings_error, so that main cannot mistake it for a failure.
class settings_help : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Looks up an environment variable; nullopt when it is not set.
using environment_lookup = std::function<std::optional<std::string>(const char* name)>;

/// The process's real environment (std::getenv).
std::optional<std::string> process_environment(const char* name);

/// The settings given by the command line `argv` (argv[0] being the program) and by the
/// environment seen through `getenv`, with defaults for the rest. When JWT_SECRET is unset,
/// draws 32 random bytes and sets jwt_secret_generated; `serve` in cluster mode refuses that,
/// since every node must sign with the same key.
/// Throws settings_error for a bad value or command line, settings_help for `--help`.
/// A JWT_SECRET of fewer than 32 bytes (decoded bytes for `base64:`) also stops `serve` in
/// cluster mode.
settings parse_settings(int argc, const char* const* argv, const environment_lookup& getenv);

/// True when the JWT_SECRET's key is shorter than 32 bytes (the HS256 output): refused in
/// cluster mode, warned about at start in embedded mode.
bool jwt_secret_is_short(const settings& config);

}  // namespace livechat::app
