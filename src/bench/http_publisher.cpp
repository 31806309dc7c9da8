#include "bench/http_publisher.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "model/text.hpp"

namespace livechat::bench {
namespace {

namespace asio = boost::asio;

constexpr auto request_timeout = std::chrono::seconds(30);
constexpr std::size_t max_failures_in_a_row = 20;

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
        target.headers.emplace_back(header.substr(0, colon),
                                    model::trim_blanks(std::string_view(header).substr(colon + 1)));
      }
      break;
    }
    case publish_mode::stomp: throw std::logic_error("STOMP publishing is not over HTTP");
  }
  return target;
}

http_publisher::http_publisher(asio::io_context& io, http_publish_target target,
                               std::size_t connections, publish_events& events)
    : target_(std::move(target)), events_(events) {
  // An IPv6 address goes in brackets in a URL.
  const bool ipv6 = target_.host.find(':') != std::string::npos;
  const std::string base_url = ipv6 ? fmt::format("http://[{}]:{}", target_.host, target_.port)
                                    : fmt::format("http://{}:{}", target_.host, target_.port);
  net::http_client_options client_options;
  client_options.timeout = request_timeout;
  for (std::size_t i = 0; i < connections; ++i) {
    lanes_.push_back(lane{net::http_client::create(io, base_url, client_options)});
  }
}

http_publisher::~http_publisher() {
  for (auto& each : lanes_) each.client->close();
}

void http_publisher::start() {
  // Each lane connects with its first request.
  events_.ready();
}

bool http_publisher::can_send() const {
  return std::any_of(lanes_.begin(), lanes_.end(), [](const lane& each) { return !each.busy; });
}

void http_publisher::send(std::uint64_t sequence, const std::string& contents) {
  const auto free_lane =
      std::find_if(lanes_.begin(), lanes_.end(), [](const lane& each) { return !each.busy; });
  if (free_lane == lanes_.end()) throw std::logic_error("http_publisher::send without a free lane");
  lane& sending = *free_lane;
  sending.busy = true;
  sending.client->post(
      net::http_client::request{target_.target, replace_placeholder(target_.body, "marker", contents),
                                target_.headers},
      [this, &sending, sequence](bool ok, int status) {
        sending.busy = false;
        answered(sending, sequence, ok, status);
      });
}

void http_publisher::answered(lane& answering, std::uint64_t sequence, bool ok, int status) {
  if (ok) {
    failed_in_a_row_ = 0;
    events_.acknowledged(sequence);
  } else if (status != 0) {
    failed_in_a_row_ = 0;
    events_.refused(sequence, fmt::format("HTTP {}: {}", status,
                                          answering.client->last_answer_body().substr(0, 200)));
  } else {
    // No answer at all (cannot connect, reset, timeout): after a few in a row, the server is
    // not there and the run cannot go on.
    const std::string why = answering.client->last_error();
    events_.refused(sequence, why);
    if (++failed_in_a_row_ >= max_failures_in_a_row) {
      return events_.broken(
          fmt::format("no answer from {}:{}: {}", target_.host, target_.port, why));
    }
  }
  events_.ready();
}

}  // namespace livechat::bench
