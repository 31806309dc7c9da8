#pragma once
// Publishing over HTTP/1.1: a few keep-alive connections, one request in flight on each.

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

#include "bench/bench_options.hpp"
#include "bench/publish_transport.hpp"

namespace livechat::bench {

/// The request each message becomes: livechat's tenant or REST call, or the --publish-url
/// template; "{marker}" in `body` stands for the message's text.
struct http_publish_target {
  std::string host;
  std::uint16_t port = 0;
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
  struct lane;
  void connect(lane& lane);
  void answered(lane& lane);

  boost::asio::io_context& io_;
  http_publish_target target_;
  publish_events& events_;
  std::vector<std::unique_ptr<lane>> lanes_;
  std::size_t failed_connects_ = 0;
};

}  // namespace livechat::bench
