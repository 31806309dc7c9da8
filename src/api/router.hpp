#pragma once
// Maps a method and a path to a handler. Patterns are paths whose `{name}` segments match any
// one segment, e.g. "/chatrooms/{id}/messages"; literal segments win over `{…}` ones.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/request_context.hpp"

namespace livechat::api {

/// Where a handler runs: on the connection's I/O thread (only for work that never blocks), on a
/// worker thread (anything that touches the database), or on the password-hashing pool (work
/// that hashes or checks a password with Argon2id: its own threads and its own bounded queue,
/// so that a flood of sign-ins never delays sends, history or delivery).
enum class execution { io_thread, worker, password_hashing };

/// The handler will answer later, through request_context::answer (after an asynchronous
/// step such as a commit), instead of returning a response.
struct answered_later {};

/// A handler's answer: a response now, the connection handed over (streams, WebSocket), or
/// answered_later.
using route_result = std::variant<net::http_response, net::connection_takeover, answered_later>;

using route_handler = std::function<route_result(const request_context&)>;

/// For a route that hashes a password only for some requests (a private room's): true when
/// this one does, and so runs on the password-hashing pool instead of where its route says.
using password_predicate = std::function<bool(const request_context&)>;

struct route {
  net::http::verb method;
  std::vector<std::string> segments;  // "{}" stands for a parameter
  execution where;
  route_handler handler;
  password_predicate hashes_password;  // may be empty
};

struct route_match {
  const route* matched = nullptr;      // null when nothing matched
  std::vector<std::string> parameters;  // the `{…}` segments' values, in order
  std::vector<net::http::verb> allowed;  // when only the method differs: the methods the path has
};

class router {
 public:
  void add(net::http::verb method, std::string_view pattern, execution where,
           route_handler handler, password_predicate hashes_password = {});

  /// The route for `method` on the decoded path `segments`. Without one, `allowed` lists the
  /// methods the path does have (empty: no such path at all).
  route_match find(net::http::verb method, const std::vector<std::string>& segments) const;

  /// Every route, in the order added (the API documents are checked against this).
  const std::vector<route>& routes() const { return routes_; }

 private:
  std::vector<route> routes_;
};

}  // namespace livechat::api
