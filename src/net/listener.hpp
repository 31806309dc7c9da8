#pragma once
// Accepts TCP connections on one address and spreads them over the I/O threads.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>

#include "net/io_context_pool.hpp"

namespace livechat::net {

class listener : public std::enable_shared_from_this<listener> {
 public:
  /// Called on the connection's own I/O thread's context (not necessarily running on it yet).
  using connection_handler = std::function<void(boost::asio::ip::tcp::socket&&)>;

  /// Binds and listens at once; throws boost::system::system_error when it cannot.
  listener(boost::asio::io_context& accept_context, io_context_pool& connection_contexts,
           const boost::asio::ip::tcp::endpoint& endpoint, connection_handler on_connection);

  void start();

  /// Stops accepting; connections already made go on.
  void stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(boost::system::error_code error, boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  io_context_pool& connection_contexts_;
  connection_handler on_connection_;
};

}  // namespace livechat::net
