#pragma once
// A small asynchronous HTTP/1.1 client for one base URL (http:// or https://): requests go out
// one at a time, in the order given, over one kept-alive connection that is opened on demand
// and reopened when the server closed it. Billing posts usage reports with it; the bench's
// publisher posts messages (one client per connection it keeps).
//
// Promises:
// * Every request gets exactly one completion, on the client's executor (a strand of the
//   io_context given), never inside post_json itself.
// * ok means the server answered 2xx. status is the HTTP status, or 0 when no answer came
//   (resolve, connect, TLS or I/O error, or the timeout); last_error() then says why.
// * A request that fails on a reused connection before any byte of the answer arrived (the
//   server had closed it while idle) is sent once more on a fresh connection; only the outcome
//   of that second try counts.
// * https verifies the server's certificate against the system's trust store and its name
//   (or IP address) against the URL's host; SNI carries the host name.
// * Credentials in the URL (`https://user:password@host`) become a Basic Authorization header
//   and never appear in display_url() or in logs.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livechat::net {

struct http_client_options {
  /// Bounds one try of a request: resolve, connect, TLS handshake, write and the whole answer.
  std::chrono::milliseconds timeout{5000};
  /// PEM certificates trusted besides the system's (for tests with a private CA).
  std::string extra_trusted_ca_pem;
};

class http_client : public std::enable_shared_from_this<http_client> {
 public:
  using executor_type = boost::asio::strand<boost::asio::io_context::executor_type>;
  using completion = std::function<void(bool ok, int status)>;

  /// A client of `base_url` (http or https, optionally with a path prefix and credentials),
  /// working on `context`. Throws std::invalid_argument for a URL it cannot use.
  static std::shared_ptr<http_client> create(boost::asio::io_context& context,
                                             std::string_view base_url,
                                             http_client_options options = {});

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  struct request {
    std::string path;  // after the base URL's path
    std::string body;
    /// Set after the client's own (Host, User-Agent, the URL's credentials), replacing them.
    std::vector<std::pair<std::string, std::string>> headers;
  };

  /// Queues `POST <base path><path>` with the request's body and headers. May be called from
  /// any thread; `done` runs on executor().
  void post(request posted, completion done);

  /// Queues `POST <base path><path>` with `body` as application/json, as post() does.
  void post_json(std::string path, std::string body, completion done);

  /// The body of the latest answer, e.g. the explanation of a refusal. Only meaningful on
  /// executor(), inside a completion with a status.
  const std::string& last_answer_body() const { return last_answer_body_; }

  /// Closes the connection and fails, with status 0, the request in flight and every queued
  /// one; later requests fail at once. May be called from any thread.
  void close();

  /// The strand every completion runs on; the caller's own timers may share it.
  executor_type executor() const { return strand_; }

  /// The base URL without its credentials, for logs.
  const std::string& display_url() const { return display_url_; }

  /// Why the last request that got no answer failed ("timed out", "Connection refused", …).
  /// Only meaningful on executor(), e.g. inside a completion with status 0.
  const std::string& last_error() const { return last_error_; }

 private:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  struct queued_request {
    request posted;  // its path already the whole target
    completion done;
  };

  // Where a try failed: a reused connection may be retried only if the server cannot have
  // started answering, i.e. up to the write or before the first byte of the answer.
  enum class step { resolve, connect, handshake, write, read };

  http_client(boost::asio::io_context& context, std::string_view base_url,
              http_client_options options);

  void do_next();
  void start_attempt();
  void on_deadline(error_code error, std::uint64_t attempt);
  void do_resolve();
  void on_resolve(error_code error, const tcp::resolver::results_type& endpoints);
  void on_connect(error_code error);
  void on_handshake(error_code error);
  void do_write();
  void on_write(error_code error);
  void on_read(error_code error);
  void fail_attempt(error_code error, step failed_step);
  void finish(bool ok, int status);
  void close_connection();
  boost::beast::tcp_stream* tcp_layer();  // of the current connection; null before the first

  executor_type strand_;
  const http_client_options options_;

  // From the base URL.
  bool use_tls_ = false;
  std::string host_;         // name or IP address, without brackets: to resolve and verify
  bool host_is_name_ = false;  // not an IP address: then it goes into SNI
  std::string port_;
  std::string host_header_;  // as written in the URL, brackets and port included
  std::string path_prefix_;  // the URL's path without a trailing /
  std::string authorization_;
  std::string display_url_;

  std::optional<boost::asio::ssl::context> tls_context_;
  tcp::resolver resolver_;
  boost::asio::steady_timer deadline_;
  // One of the two, for the current connection; replaced (never reused) after a close.
  std::unique_ptr<boost::beast::tcp_stream> plain_;
  std::unique_ptr<tls_stream> tls_;
  bool connected_ = false;

  std::deque<queued_request> queue_;  // front: the request in flight when busy_
  bool busy_ = false;
  bool closed_ = false;
  bool reused_ = false;     // the current try runs on a connection that served before
  bool retried_ = false;    // the current request is on its second try
  bool timed_out_ = false;  // the current try's deadline passed
  std::uint64_t attempt_ = 0;  // tells a stale deadline handler from the current one
  boost::beast::http::request<boost::beast::http::string_body> request_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  boost::beast::flat_buffer buffer_;
  std::string last_error_;
  std::string last_answer_body_;
};

}  // namespace livechat::net
