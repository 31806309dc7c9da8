#pragma once
// Publishing over STOMP: one WebSocket, CONNECT with the token, then a SEND with a receipt for
// every message, several in flight; each RECEIPT acknowledges its message.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <string>

#include "bench/bench_options.hpp"
#include "bench/publish_transport.hpp"

namespace livechat::bench {

class stomp_publisher : public publish_transport {
 public:
  stomp_publisher(boost::asio::io_context& io, const bench_options& options,
                  publish_events& events);

  void start() override;
  bool can_send() const override;
  void send(std::uint64_t sequence, const std::string& contents) override;

 private:
  void read();
  void consume();
  void on_frame(std::string_view frame);
  void write(std::string bytes);
  void flush();
  void close(std::string_view reason);

  boost::asio::io_context& io_;
  const bench_options& options_;
  publish_events& events_;
  boost::asio::ip::tcp::socket socket_;
  std::array<char, 64 * 1024> read_buffer_{};
  std::string received_;
  std::string outbox_;
  std::string writing_;
  bool upgraded_ = false;
  bool connected_ = false;
  bool closed_ = false;
  std::size_t in_flight_ = 0;
};

}  // namespace livechat::bench
