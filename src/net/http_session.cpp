#include "net/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/core/string.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <utility>

#include <unistd.h>

namespace livechat::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

// The request header that arms write failures when http_limits::failure_injection is on.
constexpr std::string_view fail_write_header = "Livechat-Fail-Write";

// After answering a request whose rest we will not read, how long and how much we keep
// reading (and throwing away) before closing, so that the close does not reset the connection
// before the client has read our answer.
constexpr auto linger_time = std::chrono::seconds(2);
constexpr std::size_t linger_bytes = 1024 * 1024;
constexpr std::size_t linger_chunk = 16 * 1024;

// A socket's descriptor between two reactors: closed unless a socket adopted it (as when the
// stream thread it was going to stops first).
struct released_descriptor {
  explicit released_descriptor(int descriptor) : value(descriptor) {}
  released_descriptor(released_descriptor&& other) noexcept
      : value(std::exchange(other.value, -1)) {}
  released_descriptor(const released_descriptor&) = delete;
  released_descriptor& operator=(const released_descriptor&) = delete;
  ~released_descriptor() {
    if (value >= 0) ::close(value);
  }
  int value;
};

bool is_protocol_error(const beast::error_code& error) {
  return error.category() == http::make_error_code(http::error::bad_method).category();
}

}  // namespace

http_session::http_session(asio::ip::tcp::socket&& socket, http_handler& handler,
                           const http_limits& limits, server_lifecycle& lifecycle,
                           io_context_pool* stream_threads)
    : stream_(std::move(socket)),
      handler_(handler),
      limits_(limits),
      lifecycle_(lifecycle),
      stream_threads_(stream_threads) {}

void http_session::start() {
  // The acceptor may run on another thread than the one this socket belongs to.
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&http_session::do_read, shared_from_this()));
}

void http_session::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
  parser_->body_limit(limits_.max_body_bytes);
  stream_.expires_after(limits_.request_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&http_session::on_read_header,
                                                    shared_from_this()));
}

void http_session::on_read_header(beast::error_code error, std::size_t bytes) {
  // Armed from the headers, so that an interim `100 Continue` counts as a write too.
  if (!error && limits_.failure_injection) arm_write_failures(parser_->get());
  if (error || parser_->is_done()) return on_read(error, bytes);
  // curl and others wait (a second, by default) for this before sending a larger body.
  if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
    if (injected_write_failure()) return;
    asio::async_write(stream_, asio::buffer(continue_response),
                      [self = shared_from_this()](beast::error_code write_error, std::size_t) {
                        if (write_error) return self->on_read(write_error, 0);
                        self->do_read_body();
                      });
    return;
  }
  do_read_body();
}

void http_session::do_read_body() {
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code error, std::size_t) {
  if (error == http::error::end_of_stream) return close_gracefully();
  if (error == http::error::body_limit) {
    return reject(model::client_errc::payload_too_large,
                  fmt::format("the request body is over {} bytes", limits_.max_body_bytes));
  }
  if (error == http::error::header_limit) {
    return reject(model::client_errc::headers_too_large,
                  fmt::format("the request headers are over {} bytes", limits_.max_header_bytes));
  }
  if (error && is_protocol_error(error) && error != http::error::partial_message) {
    return reject(model::client_errc::bad_request,
                  fmt::format("malformed HTTP request: {}", error.message()));
  }
  if (error) {
    // Timeouts, resets and a client gone mid-request: nobody is left to answer.
    beast::error_code ignored;
    stream_.socket().close(ignored);
    return;
  }

  if (lifecycle_.draining()) {
    // Read after SIGTERM: refused outright, so the client knows nothing of it was done.
    return reject(model::client_errc::unavailable, "the server is shutting down; try again");
  }
  lifecycle_.request_started();
  request_counted_ = true;
  request_read_at_ = std::chrono::steady_clock::now();
  keep_alive_ = parser_->get().keep_alive();
  // While the handler works the connection waits for it, not for the client.
  stream_.expires_never();
  boost::system::error_code ignored;
  const auto remote = stream_.socket().remote_endpoint(ignored).address();
  handler_.handle(parser_->release(), remote, [self = shared_from_this()](reply&& answer) {
    asio::post(self->stream_.get_executor(), [self, answer = std::move(answer)]() mutable {
      self->send(std::move(answer));
    });
  });
}

void http_session::reject(model::client_errc errc, std::string_view message) {
  // The request was not read to its end, so the connection cannot serve another one.
  keep_alive_ = false;
  const auto& partial_request = parser_->get();
  http_response response = make_error_response(errc, message);
  handler_.decorate(partial_request, response);
  send(std::move(response));
}

void http_session::send(reply&& answer) {
  if (auto* takeover = std::get_if<connection_takeover>(&answer)) return hand_over(std::move(*takeover));
  http_response& response = std::get<http_response>(answer);
  if (request_counted_) {
    metrics::counters().request_latency.observe(std::chrono::steady_clock::now() - request_read_at_);
  }
  // A handler may end the connection with its answer (a node full of streams does).
  if (lifecycle_.draining() || beast::iequals(response[http::field::connection], "close")) {
    keep_alive_ = false;
  }
  response.keep_alive(keep_alive_);
  response_.emplace(std::move(response));
  if (injected_write_failure()) return;
  stream_.expires_after(limits_.write_timeout);
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&http_session::on_write, shared_from_this()));
}

void http_session::hand_over(connection_takeover&& takeover) {
  if (request_counted_) {
    lifecycle_.request_finished();
    request_counted_ = false;
  }
  // From here the stream belongs to the new owner; this session ends when the call returns.
  stream_.expires_never();
  counted_connection_.reset();
  if (stream_threads_ != nullptr) return move_to_stream_thread(std::move(takeover));
  takeover(std::move(stream_), std::move(buffer_), std::move(write_failures_));
}

void http_session::move_to_stream_thread(connection_takeover&& takeover) {
  // The socket leaves this thread's reactor and joins the stream thread's; the takeover then
  // runs there, as if the connection had been accepted there.
  boost::system::error_code error;
  auto& socket = stream_.socket();
  const auto protocol = socket.local_endpoint(error).protocol();
  if (error) return socket.close(error);  // the client is already gone
  released_descriptor descriptor(socket.release(error));
  if (error) return;
  asio::io_context& home = stream_threads_->next_context();
  asio::post(home, [&home, protocol, descriptor = std::move(descriptor),
                    buffer = std::move(buffer_), failures = std::move(write_failures_),
                    takeover = std::move(takeover)]() mutable {
    boost::system::error_code adopt_error;
    asio::ip::tcp::socket moved(home);
    moved.assign(protocol, descriptor.value, adopt_error);
    if (adopt_error) {
      return spdlog::warn("a stream could not move to its thread: {}", adopt_error.message());
    }
    descriptor.value = -1;
    takeover(beast::tcp_stream(std::move(moved)), std::move(buffer), std::move(failures));
  });
}

void http_session::on_write(beast::error_code error, std::size_t) {
  if (request_counted_) {
    lifecycle_.request_finished();
    request_counted_ = false;
  }
  response_.reset();
  if (error) {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    return;
  }
  if (!keep_alive_) return close_gracefully();
  do_read();
}

bool http_session::injected_write_failure() {
  if (!write_failures_ || !write_failures_->count()) return false;
  // The write fails as a reset connection's would, having sent nothing.
  asio::post(stream_.get_executor(),
             [self = shared_from_this()] { self->on_write(asio::error::connection_reset, 0); });
  return true;
}

void http_session::arm_write_failures(const http_request& request_head) {
  const auto value = request_head[fail_write_header];
  if (value.empty()) return;
  long n = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (error != std::errc{} || end != value.data() + value.size() || n < 1) return;
  write_failures_ = std::make_shared<model::fail_count>();
  write_failures_->fail_call(n);
}

void http_session::close_gracefully() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(linger_time);
  lingered_bytes_ = 0;
  do_discard();
}

void http_session::do_discard() {
  buffer_.consume(buffer_.size());
  stream_.async_read_some(
      buffer_.prepare(linger_chunk),
      [self = shared_from_this()](beast::error_code error, std::size_t bytes) {
        self->buffer_.commit(bytes);
        self->lingered_bytes_ += bytes;
        if (error || self->lingered_bytes_ > linger_bytes) {
          beast::error_code ignored;
          self->stream_.socket().close(ignored);
          return;
        }
        self->do_discard();
      });
}

}  // namespace livechat::net
