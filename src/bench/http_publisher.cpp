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
  target.servers = options.publish_spread ? options.servers
                                          : std::vector<server_address>{options.servers.front()};
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
      target.servers = {{std::string(url->host()),
                         static_cast<std::uint16_t>(url->has_port() ? url->port_number() : 80)}};
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
    : target_(std::move(target)), events_(events), free_(target_.servers.size(), 0) {
  net::http_client_options client_options;
  client_options.timeout = request_timeout;
  // At least one lane per server, so that every server gets its turn.
  connections = std::max(connections, target_.servers.size());
  for (std::size_t i = 0; i < connections; ++i) {
    const auto server = i % target_.servers.size();
    lanes_.push_back(lane{net::http_client::create(io, base_url(server), client_options), server});
    ++free_[server];
  }
}

std::string http_publisher::base_url(std::size_t server) const {
  const auto& [host, port] = target_.servers[server];
  // An IPv6 address goes in brackets in a URL.
  return host.find(':') != std::string::npos ? fmt::format("http://[{}]:{}", host, port)
                                             : fmt::format("http://{}:{}", host, port);
}

http_publisher::~http_publisher() {
  for (auto& each : lanes_) each.client->close();
}

void http_publisher::start() {
  // Each lane connects with its first request.
  events_.ready();
}

// The next message waits for its own server: spreading alternates strictly.
bool http_publisher::can_send() const { return free_[next_server_] > 0; }

void http_publisher::send(std::uint64_t sequence, const std::string& contents) {
  const auto free_lane = std::find_if(lanes_.begin(), lanes_.end(), [this](const lane& each) {
    return !each.busy && each.server == next_server_;
  });
  if (free_lane == lanes_.end()) throw std::logic_error("http_publisher::send without a free lane");
  next_server_ = (next_server_ + 1) % target_.servers.size();
  lane& sending = *free_lane;
  sending.busy = true;
  --free_[sending.server];
  sending.client->post(
      net::http_client::request{target_.target, replace_placeholder(target_.body, "marker", contents),
                                target_.headers},
      [this, &sending, sequence](bool ok, int status) {
        sending.busy = false;
        ++free_[sending.server];
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
      return events_.broken(fmt::format("no answer from {}: {}", base_url(answering.server), why));
    }
  }
  events_.ready();
}

}  // namespace livechat::bench
