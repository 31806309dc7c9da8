#pragma once
// The options of `livechat bench`, the load generator (see docs/bench.md): what to connect to,
// how many subscribers and in which protocol, what to publish and how fast.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace livechat::bench {

/// The protocol the subscribers speak.
enum class subscriber_protocol {
  stomp,     // STOMP 1.2 over WebSocket: CONNECT, SUBSCRIBE /chat/{room} with a receipt
  sse,       // Server-Sent Events: GET the path, events carry the messages
  websocket, // a raw WebSocket whose text messages are the messages (nchan)
  socketio,  // engine.io v4 over WebSocket, Socket.IO packets (the Socket.IO peer)
};

/// How the bench publishes.
enum class publish_mode {
  tenant,  // livechat's tenant API: POST /api/v1/sessions/{room}/messages with X-Api-Key
  rest,    // livechat's REST API: POST /chatrooms/{room}/messages with a bearer token
  stomp,   // livechat's STOMP SEND over WebSocket, with a receipt per message
  http,    // an HTTP POST template: --publish-url, --publish-body, --publish-header (peers)
};

/// Where message latency (and publish acknowledgement latency) is counted from.
enum class latency_origin {
  due,   // the message's place in the schedule (open loop, as wrk2): a publisher that falls
         // behind because the server answers slowly adds its lag to every figure
  sent,  // when the publisher actually sent it (closed loop): hides that lag; for comparison only
};

/// One server (node) the subscribers connect to.
struct server_address {
  std::string host;  // an IPv4 literal
  std::uint16_t port = 0;
};

struct bench_options {
  // --url, repeatable: scheme http, an IPv4 literal, a port. Subscriber i connects to
  // urls[i % size] (several nodes of a cluster); publishing goes to the first, or to each in
  // turn with publish_spread.
  std::vector<std::string> urls{"http://127.0.0.1:8080"};
  std::vector<server_address> servers;  // from urls, in their order
  std::string host;                     // servers[0]: where publishing goes
  std::uint16_t port = 8080;            // servers[0]

  subscriber_protocol protocol = subscriber_protocol::sse;
  std::string path;   // "{room}" replaced; empty: the protocol's livechat path
  std::string room;   // empty: a random UUID
  std::string token;  // bearer token for STOMP CONNECT, SSE and REST publishing

  std::size_t connections = 1000;
  double ramp_rate = 5000;            // connections opened per second
  std::size_t source_addresses = 0;   // 127.0.0.2 … ; 0: as the connection count needs
  std::size_t processes = 0;          // subscriber processes; 0: as the descriptor limit needs
  std::size_t threads = 0;            // I/O threads per process; 0: the number of cores
  std::chrono::milliseconds connect_timeout{10000};

  std::size_t messages = 2000;  // 0: connect, hold, measure memory, and publish nothing
  double rate = 200;            // messages per second
  std::size_t payload_bytes = 64;  // characters in each message's text, the marker included
  publish_mode publish = publish_mode::tenant;
  std::string publish_url;                   // http mode; "{room}" replaced
  std::string publish_body = "{marker}";     // http mode; "{marker}" replaced by the text
  std::vector<std::string> publish_headers;  // "Name: value"
  std::string api_key;                       // tenant mode
  bool publish_spread = false;  // tenant and rest: message k goes to servers[k % size]
  // HTTP keep-alive connections for publishing, one request in flight on each: the most
  // requests the publisher keeps in flight before it falls behind its schedule.
  std::size_t publish_connections = 128;
  latency_origin latency_from = latency_origin::due;

  std::chrono::milliseconds hold{1000};   // after connecting, before publishing
  std::chrono::milliseconds drain{5000};  // after the last publish, to wait for deliveries

  std::vector<int> server_pids;  // server processes to measure (RSS, CPU)
  std::string label;
  bool json = false;

  /// The subscriber path with the room filled in.
  std::string subscriber_target() const;
};

/// Bad or contradictory options; what() says which.
class bench_options_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `--help` was asked for; what() is the help text.
class bench_options_help : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses the arguments that followed `bench` on the command line.
bench_options parse_bench_options(const std::vector<std::string>& arguments);

std::string_view to_string(subscriber_protocol protocol);
std::string_view to_string(publish_mode mode);
std::string_view to_string(latency_origin origin);

/// Replaces every "{name}" in `text` with `value`.
std::string replace_placeholder(std::string text, std::string_view name, std::string_view value);

}  // namespace livechat::bench
