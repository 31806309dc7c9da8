#include "bench/http_publisher.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "bench/bench_clock.hpp"

namespace livechat::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto request_timeout = std::chrono::seconds(30);
constexpr std::size_t max_connect_failures = 20;

}  // namespace

http_publish_target make_http_publish_target(const bench_options& options) {
  http_publish_target target;
  target.host = options.host;
  target.port = options.port;
  switch (options.publish) {
    case publish_mode::tenant:
      target.target = fmt::format("/api/v1/sessions/{}/messages", options.room);
      target.body = R"({"sender":"bench","contents":"{marker}"})";
      target.headers = {{"X-Api-Key", options.api_key}, {"Content-Type", "application/json"}};
      break;
    case publish_mode::rest:
      target.target = fmt::format("/chatrooms/{}/messages", options.room);
      target.body = R"({"contents":"{marker}"})";
      target.headers = {{"Authorization", "Bearer " + options.token},
                        {"Content-Type", "application/json"}};
      break;
    case publish_mode::http: {
      const auto text = replace_placeholder(options.publish_url, "room", options.room);
      auto url = boost::urls::parse_uri(text);
      if (!url || url->scheme() != "http") {
        throw bench_options_error(fmt::format("--publish-url: \"{}\" is not an http URL", text));
      }
      target.host = std::string(url->host());
      target.port = url->has_port() ? url->port_number() : 80;
      target.target = std::string(url->encoded_target());
      if (target.target.empty()) target.target = "/";
      target.body = options.publish_body;
      for (const auto& header : options.publish_headers) {
        const auto colon = header.find(':');
        auto value = header.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        target.headers.emplace_back(header.substr(0, colon), value);
      }
      break;
    }
    case publish_mode::stomp: throw std::logic_error("STOMP publishing is not over HTTP");
  }
  return target;
}

struct http_publisher::lane {
  explicit lane(asio::io_context& io) : stream(io) {}

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::response<http::string_body> response;
  bool connected = false;
  bool busy = false;
  std::uint64_t sequence = 0;
};

http_publisher::http_publisher(asio::io_context& io, http_publish_target target,
                               std::size_t connections, publish_events& events)
    : io_(io), target_(std::move(target)), events_(events) {
  for (std::size_t i = 0; i < connections; ++i) lanes_.push_back(std::make_unique<lane>(io_));
}

http_publisher::~http_publisher() = default;

void http_publisher::start() {
  for (auto& each : lanes_) connect(*each);
}

bool http_publisher::can_send() const {
  for (const auto& each : lanes_) {
    if (each->connected && !each->busy) return true;
  }
  return false;
}

void http_publisher::connect(lane& lane) {
  lane.connected = false;
  beast::error_code ignored;
  lane.stream.socket().close(ignored);
  lane.buffer.clear();
  const tcp::endpoint server(asio::ip::make_address(target_.host), target_.port);
  lane.stream.expires_after(request_timeout);
  lane.stream.async_connect(server, [this, &lane](const beast::error_code& error) {
    if (error) {
      if (++failed_connects_ >= max_connect_failures) {
        return events_.broken(fmt::format("cannot connect to {}:{}: {}", target_.host,
                                          target_.port, error.message()));
      }
      return connect(lane);
    }
    lane.stream.socket().set_option(tcp::no_delay(true));
    lane.connected = true;
    events_.ready();
  });
}

void http_publisher::send(std::uint64_t sequence, const std::string& contents) {
  lane* free_lane = nullptr;
  for (auto& each : lanes_) {
    if (each->connected && !each->busy) {
      free_lane = each.get();
      break;
    }
  }
  if (free_lane == nullptr) throw std::logic_error("http_publisher::send without a free lane");
  auto& lane = *free_lane;
  lane.busy = true;
  lane.sequence = sequence;
  lane.request = {http::verb::post, target_.target, 11};
  lane.request.set(http::field::host, fmt::format("{}:{}", target_.host, target_.port));
  for (const auto& [name, value] : target_.headers) lane.request.set(name, value);
  lane.request.body() = replace_placeholder(target_.body, "marker", contents);
  lane.request.keep_alive(true);
  lane.request.prepare_payload();
  lane.stream.expires_after(request_timeout);
  http::async_write(lane.stream, lane.request, [this, &lane](const beast::error_code& error,
                                                             std::size_t) {
    if (error) {
      lane.busy = false;
      events_.refused(lane.sequence, fmt::format("write: {}", error.message()));
      return connect(lane);
    }
    lane.response = {};
    http::async_read(lane.stream, lane.buffer, lane.response,
                     [this, &lane](const beast::error_code& read_error, std::size_t) {
                       lane.busy = false;
                       if (read_error) {
                         events_.refused(lane.sequence,
                                         fmt::format("read: {}", read_error.message()));
                         return connect(lane);
                       }
                       answered(lane);
                     });
  });
}

void http_publisher::answered(lane& lane) {
  const unsigned status = lane.response.result_int();
  if (status >= 200 && status < 300) {
    events_.acknowledged(lane.sequence);
  } else {
    events_.refused(lane.sequence,
                    fmt::format("HTTP {}: {}", status, lane.response.body().substr(0, 200)));
  }
  if (!lane.response.keep_alive()) return connect(lane);
  events_.ready();
}

}  // namespace livechat::bench
