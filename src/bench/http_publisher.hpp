#pragma once
// Publishing over HTTP/1.1: a few keep-alive connections (each a net::http_client), one request
// in flight on each.

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/publish_transport.hpp"
#include "net/http_client.hpp"

namespace livechat::bench {

/// The request each message becomes: livechat's tenant or REST call, or the --publish-url
/// template; "{marker}" in `body` stands for the message's text.
struct http_publish_target {
  // Usually one; several with --publish-spread: message k goes to servers[k % size], through
  // the lanes (keep-alive connections) of that server.
  std::vector<server_address> servers;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

http_publish_target make_http_publish_target(const bench_options& options);

class http_publisher : public publish_transport {
 public:
  http_publisher(boost::asio::io_context& io, http_publish_target target, std::size_t connections,
                 publish_events& events);
  ~http_publisher() override;

  void start() override;
  bool can_send() const override;
  void send(std::uint64_t sequence, const std::string& contents) override;

 private:
  struct lane {
    std::shared_ptr<net::http_client> client;
    std::size_t server = 0;  // its index in target_.servers
    bool busy = false;
  };
  void answered(lane& answering, std::uint64_t sequence, bool ok, int status);
  std::string base_url(std::size_t server) const;

  http_publish_target target_;
  publish_events& events_;
  std::vector<lane> lanes_;  // never resized after construction: completions hold references
  std::size_t failed_in_a_row_ = 0;  // requests that got no answer, since the last answer
  std::size_t next_server_ = 0;      // whose turn the next message is
  std::vector<std::size_t> free_;    // idle lanes per server
};

}  // namespace livechat::bench
