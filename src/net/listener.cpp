#include "net/listener.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace livechat::net {

namespace asio = boost::asio;

listener::listener(asio::io_context& accept_context, io_context_pool& connection_contexts,
                   const asio::ip::tcp::endpoint& endpoint, connection_handler on_connection)
    : acceptor_(accept_context),
      retry_timer_(accept_context),
      connection_contexts_(connection_contexts),
      on_connection_(std::move(on_connection)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void listener::start() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

void listener::do_accept() {
  // The new socket belongs to the next I/O thread's context: the connection lives there.
  acceptor_.async_accept(connection_contexts_.next_context(),
                         [self = shared_from_this()](boost::system::error_code error,
                                                     asio::ip::tcp::socket socket) {
                           self->on_accept(error, std::move(socket));
                         });
}

void listener::on_accept(boost::system::error_code error, asio::ip::tcp::socket socket) {
  if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (error) {
    // Out of descriptors or memory: accepting again at once would spin; the pending
    // connections wait in the backlog meanwhile.
    spdlog::warn("accept failed: {}; retrying in 100 ms", error.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_error) {
      if (!wait_error) self->do_accept();
    });
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  on_connection_(std::move(socket));
  do_accept();
}

}  // namespace livechat::net
