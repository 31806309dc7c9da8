#pragma once
// One session with a PostgreSQL server, with the statements it has prepared. Used by one thread
// at a time (the pool sees to that). Parameters and values travel as text.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/postgres/result.hpp"
#include "store/sql_hash.hpp"

struct pg_conn;

namespace livechat::store::postgres {

class connection {
 public:
  /// Connects to the server `url` names (postgresql://user:password@host:port/database, or any
  /// conninfo libpq takes), waiting at most 5 s unless the URL sets connect_timeout, and asks
  /// for synchronous commits (a COMMIT that returned is on the server's disk). Throws
  /// store_error when the server cannot be reached or refuses us.
  explicit connection(const std::string& url);
  ~connection();

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs `sql` with `values` as $1, $2… (integers or text). The statement is prepared on this
  /// connection the first time its text is seen and reused after that. Throws store_error when
  /// the server reports an error or the connection is lost.
  template <typename... Values>
  result run(std::string_view sql, const Values&... values) {
    std::vector<std::string> parameters;
    parameters.reserve(sizeof...(values));
    (parameters.push_back(to_parameter(values)), ...);
    return run_prepared(sql, parameters);
  }

  /// Runs `sql`, which may hold several statements, without preparing it (schema, BEGIN…).
  void execute(const std::string& sql);

  /// True when the connection can serve the next call: the server is still there, as far as
  /// libpq knows, and no transaction was left open.
  bool reusable() const;

 private:
  static std::string to_parameter(std::int64_t value) { return std::to_string(value); }
  static std::string to_parameter(int value) { return std::to_string(value); }
  static std::string to_parameter(std::string_view value);

  result run_prepared(std::string_view sql, const std::vector<std::string>& parameters);
  // Throws store_error with the server's message for a failed `handle` (which it frees).
  [[noreturn]] void fail(pg_result* handle, std::string_view context) const;

  pg_conn* connection_ = nullptr;
  // Statement text to the name it was prepared under on this connection.
  std::unordered_map<std::string, std::string, sql_hash, std::equal_to<>> prepared_;
};

}  // namespace livechat::store::postgres
