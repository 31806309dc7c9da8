#include "bench/bench_options.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>
#include <thread>

#include "model/ids.hpp"

namespace livechat::bench {
namespace {

const std::map<std::string, subscriber_protocol> protocol_names{
    {"stomp", subscriber_protocol::stomp},
    {"sse", subscriber_protocol::sse},
    {"ws", subscriber_protocol::websocket},
    {"socketio", subscriber_protocol::socketio},
};

const std::map<std::string, publish_mode> publish_names{
    {"tenant", publish_mode::tenant},
    {"rest", publish_mode::rest},
    {"stomp", publish_mode::stomp},
    {"http", publish_mode::http},
};

const std::map<std::string, latency_origin> latency_origin_names{
    {"due", latency_origin::due},
    {"sent", latency_origin::sent},
};

// The livechat path of each protocol, for when --path is not given.
std::string default_path(subscriber_protocol protocol) {
  switch (protocol) {
    case subscriber_protocol::sse: return "/api/v1/chats/sse-connect/{room}";
    case subscriber_protocol::stomp: return "/ws";
    case subscriber_protocol::socketio: return "/socket.io/?EIO=4&transport=websocket&room={room}";
    case subscriber_protocol::websocket: return "";
  }
  return "";
}

std::vector<int> parse_pids(const std::vector<std::string>& values) {
  std::vector<int> pids;
  for (const auto& value : values) {
    std::stringstream list(value);
    std::string item;
    while (std::getline(list, item, ',')) {
      int pid = 0;
      auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), pid);
      if (error != std::errc{} || end != item.data() + item.size() || pid <= 0) {
        throw bench_options_error(fmt::format("--server-pid: \"{}\" is not a process id", item));
      }
      pids.push_back(pid);
    }
  }
  return pids;
}

server_address parse_url(const std::string& text) {
  auto url = boost::urls::parse_uri(text);
  if (!url || url->scheme() != "http" || !url->has_port()) {
    throw bench_options_error(
        fmt::format("--url: \"{}\" is not http://<IPv4 address>:<port>", text));
  }
  boost::system::error_code error;
  boost::asio::ip::make_address_v4(std::string(url->host()), error);
  auto port = url->port_number();
  if (error || port == 0) {
    throw bench_options_error(
        fmt::format("--url: \"{}\" is not http://<IPv4 address>:<port>", text));
  }
  return {std::string(url->host()), port};
}

void parse_urls(bench_options& options) {
  options.servers.clear();
  for (const auto& url : options.urls) options.servers.push_back(parse_url(url));
  options.host = options.servers.front().host;
  options.port = options.servers.front().port;
}

void check(bench_options& options) {
  if (options.connections == 0 && options.messages > 0) {
    throw bench_options_error("--connections: 0 subscribers cannot receive anything");
  }
  if (options.ramp_rate <= 0) throw bench_options_error("--ramp-rate: must be above 0");
  if (options.rate <= 0) throw bench_options_error("--rate: must be above 0");
  if (options.payload_bytes < 32 || options.payload_bytes > 1900) {
    throw bench_options_error("--payload-bytes: must be 32-1900 (the marker takes up to 32)");
  }
  if (options.path.empty()) options.path = default_path(options.protocol);
  if (options.path.empty() || options.path.front() != '/') {
    throw bench_options_error("--path: a path starting with / is needed for this protocol");
  }
  if (options.room.empty()) options.room = model::new_uuid();
  if (options.publish_connections == 0) options.publish_connections = 1;
  if (options.threads == 0) options.threads = std::max(1U, std::thread::hardware_concurrency());
  if (options.messages > 0) {
    switch (options.publish) {
      case publish_mode::tenant:
        if (options.api_key.empty()) throw bench_options_error("--publish tenant needs --api-key");
        break;
      case publish_mode::rest:
      case publish_mode::stomp:
        if (options.token.empty()) {
          throw bench_options_error(fmt::format("--publish {} needs --token (a member's token)",
                                                to_string(options.publish)));
        }
        break;
      case publish_mode::http:
        if (options.publish_url.empty()) {
          throw bench_options_error("--publish http needs --publish-url");
        }
        break;
    }
  }
  if (options.publish_spread && options.publish != publish_mode::tenant &&
      options.publish != publish_mode::rest) {
    throw bench_options_error("--publish-spread: only with --publish tenant or rest");
  }
  for (const auto& header : options.publish_headers) {
    if (header.find(':') == std::string::npos || header.find_first_of("\r\n") != std::string::npos) {
      throw bench_options_error(
          fmt::format("--publish-header: \"{}\" is not \"Name: value\"", header));
    }
  }
}

}  // namespace

std::string bench_options::subscriber_target() const {
  return replace_placeholder(path, "room", room);
}

std::string_view to_string(subscriber_protocol protocol) {
  for (const auto& [name, value] : protocol_names) {
    if (value == protocol) return name;
  }
  return "?";
}

std::string_view to_string(publish_mode mode) {
  for (const auto& [name, value] : publish_names) {
    if (value == mode) return name;
  }
  return "?";
}

std::string_view to_string(latency_origin origin) {
  for (const auto& [name, value] : latency_origin_names) {
    if (value == origin) return name;
  }
  return "?";
}

std::string replace_placeholder(std::string text, std::string_view name, std::string_view value) {
  const std::string placeholder = fmt::format("{{{}}}", name);
  for (auto at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
  return text;
}

bench_options parse_bench_options(const std::vector<std::string>& arguments) {
  bench_options options;
  CLI::App app{"livechat bench: opens subscribers, publishes messages carrying a sequence number "
               "and a send time, and reports what arrived and how late",
               "livechat bench"};
  app.get_formatter()->column_width(36);
  std::vector<std::string> pid_values;
  std::size_t connect_timeout_ms = options.connect_timeout.count();
  std::size_t hold_ms = options.hold.count();
  std::size_t drain_ms = options.drain.count();

  app.add_option("--url", options.urls,
                 "the server: http://<IPv4>:<port>; repeatable: subscribers spread over them "
                 "in turn, publishing goes to the first")
      ->capture_default_str();
  std::string protocol = "sse";
  std::string publish = "tenant";
  app.add_option("--protocol", protocol, "subscribers: stomp, sse, ws or socketio")
      ->check(CLI::IsMember(protocol_names))
      ->capture_default_str();
  app.add_option("--path", options.path,
                 "subscriber path, {room} replaced [default: livechat's path for the protocol]");
  app.add_option("--room", options.room, "room, session or channel id [default: a random UUID]");
  app.add_option("--token", options.token, "access token: STOMP CONNECT, SSE, REST publishing");
  app.add_option("--connections", options.connections, "subscribers")->capture_default_str();
  app.add_option("--ramp-rate", options.ramp_rate, "subscribers connected per second")
      ->capture_default_str();
  app.add_option("--source-addresses", options.source_addresses,
                 "spread over 127.0.0.2 ... 127.0.0.(K+1) [default: one per 20,000]");
  app.add_option("--processes", options.processes,
                 "subscriber processes [default: as the descriptor limit requires]");
  app.add_option("--threads", options.threads, "I/O threads per process [default: cores]");
  app.add_option("--connect-timeout-ms", connect_timeout_ms, "per subscriber")
      ->capture_default_str();
  app.add_option("--messages", options.messages, "messages to publish; 0: idle")
      ->capture_default_str();
  app.add_option("--rate", options.rate, "messages per second")->capture_default_str();
  app.add_option("--payload-bytes", options.payload_bytes, "characters of text per message")
      ->capture_default_str();
  app.add_option("--publish", publish, "tenant, rest, stomp or http")
      ->check(CLI::IsMember(publish_names))
      ->capture_default_str();
  app.add_option("--publish-url", options.publish_url, "http: where to POST, {room} replaced");
  app.add_option("--publish-body", options.publish_body, "http: the body, {marker} replaced")
      ->capture_default_str();
  app.add_option("--publish-header", options.publish_headers, "http: \"Name: value\", repeatable");
  app.add_option("--api-key", options.api_key, "tenant: the X-Api-Key");
  app.add_flag("--publish-spread", options.publish_spread,
               "tenant, rest: publish to every --url in turn instead of the first");
  app.add_option("--publish-connections", options.publish_connections,
                 "HTTP keep-alive connections the publisher uses (one request in flight each)")
      ->capture_default_str();
  std::string latency_from = "due";
  app.add_option("--latency-from", latency_from,
                 "due: latency counts from each message's due time (open loop); sent: from when "
                 "it was actually sent (closed loop, hides a late publisher)")
      ->check(CLI::IsMember(latency_origin_names))
      ->capture_default_str();
  app.add_option("--hold-ms", hold_ms, "wait after connecting, before publishing")
      ->capture_default_str();
  app.add_option("--drain-ms", drain_ms, "wait for late deliveries after the last publish")
      ->capture_default_str();
  app.add_option("--server-pid", pid_values, "server process(es) to measure: PID[,PID...]");
  app.add_option("--label", options.label, "a name for this run in the report");
  app.add_flag("--json", options.json, "print the report as one JSON object");

  try {
    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      std::ostringstream out;
      std::ostringstream err;
      app.exit(error, out, err);
      throw bench_options_help(out.str());
    }
    throw bench_options_error(fmt::format("{} (see livechat bench --help)", error.what()));
  }
  options.protocol = protocol_names.at(protocol);
  options.publish = publish_names.at(publish);
  options.latency_from = latency_origin_names.at(latency_from);
  options.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
  options.hold = std::chrono::milliseconds(hold_ms);
  options.drain = std::chrono::milliseconds(drain_ms);
  options.server_pids = parse_pids(pid_values);
  parse_urls(options);
  check(options);
  return options;
}

}  // namespace livechat::bench
