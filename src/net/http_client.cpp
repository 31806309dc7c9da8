#include "net/http_client.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <stdexcept>

namespace livechat::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// The answer's body is not used; a tenant sending megabytes back is misbehaving.
constexpr std::uint64_t max_answer_body_bytes = 1024 * 1024;

std::string base64(std::string_view bytes) {
  std::string encoded(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  // A pure codec: it needs no sodium_init().
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.resize(std::strlen(encoded.c_str()));  // the length above counts the final NUL
  return encoded;
}

}  // namespace

std::shared_ptr<http_client> http_client::create(asio::io_context& context,
                                                 std::string_view base_url,
                                                 http_client_options options) {
  return std::shared_ptr<http_client>(new http_client(context, base_url, std::move(options)));
}

http_client::http_client(asio::io_context& context, std::string_view base_url,
                         http_client_options options)
    : strand_(asio::make_strand(context)),
      options_(std::move(options)),
      resolver_(strand_),
      deadline_(strand_) {
  // Messages never quote the URL: it may hold credentials.
  const auto parsed = boost::urls::parse_uri(base_url);
  if (!parsed) throw std::invalid_argument("the base URL is not a URL");
  const boost::urls::url_view url = *parsed;
  if (url.scheme_id() == boost::urls::scheme::https) {
    use_tls_ = true;
  } else if (url.scheme_id() != boost::urls::scheme::http) {
    throw std::invalid_argument("the base URL is neither http:// nor https://");
  }
  if (!url.has_authority() || url.encoded_host_address().empty()) {
    throw std::invalid_argument("the base URL has no host");
  }
  if (url.has_query() || url.has_fragment()) {
    throw std::invalid_argument("the base URL has a query or a fragment");
  }

  host_ = url.host_address();
  host_is_name_ = url.host_type() == boost::urls::host_type::name;
  port_ = url.has_port() && !url.port().empty() ? std::string(url.port())
                                                : std::string(use_tls_ ? "443" : "80");
  host_header_ = url.encoded_host_and_port();
  path_prefix_ = url.encoded_path();
  while (path_prefix_.ends_with('/')) path_prefix_.pop_back();
  if (url.has_userinfo()) {
    authorization_ = "Basic " + base64(url.user() + ":" + url.password());
  }
  display_url_ = fmt::format("{}://{}{}", url.scheme(), host_header_, path_prefix_);

  if (use_tls_) {
    tls_context_.emplace(asio::ssl::context::tls_client);
    tls_context_->set_default_verify_paths();
    tls_context_->set_verify_mode(asio::ssl::verify_peer);
    if (!options_.extra_trusted_ca_pem.empty()) {
      tls_context_->add_certificate_authority(asio::buffer(options_.extra_trusted_ca_pem));
    }
  }
}

void http_client::post_json(std::string path, std::string body, completion done) {
  post(request{std::move(path), std::move(body), {{"Content-Type", "application/json"}}},
       std::move(done));
}

void http_client::post(request posted, completion done) {
  asio::dispatch(strand_, [self = shared_from_this(), posted = std::move(posted),
                           done = std::move(done)]() mutable {
    posted.path.insert(0, self->path_prefix_);
    self->queue_.push_back(queued_request{std::move(posted), std::move(done)});
    if (self->busy_) return;
    if (self->closed_) {
      // Still a completion of its own, not one run inside post_json.
      return asio::post(self->strand_, [self] { self->do_next(); });
    }
    self->do_next();
  });
}

void http_client::close() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->closed_) return;
    self->closed_ = true;
    // The request in flight fails through its aborted operation, and the queued ones after it.
    self->resolver_.cancel();
    self->close_connection();
  });
}

void http_client::do_next() {
  if (closed_) {
    busy_ = false;
    last_error_ = "the client is closed";
    while (!queue_.empty()) {
      completion done = std::move(queue_.front().done);
      queue_.pop_front();
      done(false, 0);
    }
    return;
  }
  if (queue_.empty()) {
    busy_ = false;
    return;
  }
  busy_ = true;
  queued_request& next = queue_.front();
  request_ = {};
  request_.method(http::verb::post);
  request_.target(next.posted.path);
  request_.version(11);
  request_.set(http::field::host, host_header_);
  request_.set(http::field::user_agent, "livechat");
  if (!authorization_.empty()) request_.set(http::field::authorization, authorization_);
  for (const auto& [name, value] : next.posted.headers) request_.set(name, value);
  request_.keep_alive(true);
  request_.body() = std::move(next.posted.body);
  request_.prepare_payload();
  retried_ = false;
  start_attempt();
}

void http_client::start_attempt() {
  timed_out_ = false;
  const std::uint64_t attempt = ++attempt_;
  deadline_.expires_after(options_.timeout);
  deadline_.async_wait([self = shared_from_this(), attempt](error_code error) {
    self->on_deadline(error, attempt);
  });
  reused_ = connected_;
  if (connected_) return do_write();
  do_resolve();
}

void http_client::on_deadline(error_code error, std::uint64_t attempt) {
  // A handler already queued when the timer was reset belongs to an earlier try.
  if (error || attempt != attempt_) return;
  timed_out_ = true;
  // Whatever the try waits for now completes with operation_aborted.
  resolver_.cancel();
  close_connection();
}

void http_client::do_resolve() {
  resolver_.async_resolve(
      host_, port_,
      [self = shared_from_this()](error_code error, const tcp::resolver::results_type& endpoints) {
        self->on_resolve(error, endpoints);
      });
}

void http_client::on_resolve(error_code error, const tcp::resolver::results_type& endpoints) {
  // A completion queued just before the deadline or close() still ends the try.
  if (!error && (timed_out_ || closed_)) error = asio::error::operation_aborted;
  if (error) return fail_attempt(error, step::resolve);

  // The previous connection is closed and nothing waits on it any more: replace it.
  plain_.reset();
  tls_.reset();
  buffer_.clear();
  if (use_tls_) {
    tls_ = std::make_unique<tls_stream>(strand_, *tls_context_);
  } else {
    plain_ = std::make_unique<beast::tcp_stream>(strand_);
  }
  tcp_layer()->async_connect(endpoints,
                             [self = shared_from_this()](error_code error, const tcp::endpoint&) {
                               self->on_connect(error);
                             });
}

void http_client::on_connect(error_code error) {
  if (!error && (timed_out_ || closed_)) error = asio::error::operation_aborted;
  if (error) return fail_attempt(error, step::connect);
  if (!use_tls_) {
    connected_ = true;
    return do_write();
  }
  // SNI names a host, never an address (RFC 6066, section 3).
  if (host_is_name_ && SSL_set_tlsext_host_name(tls_->native_handle(), host_.c_str()) != 1) {
    return fail_attempt(error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()),
                        step::handshake);
  }
  tls_->set_verify_callback(asio::ssl::host_name_verification(host_));
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [self = shared_from_this()](error_code error) { self->on_handshake(error); });
}

void http_client::on_handshake(error_code error) {
  if (!error && (timed_out_ || closed_)) error = asio::error::operation_aborted;
  if (error) return fail_attempt(error, step::handshake);
  connected_ = true;
  do_write();
}

void http_client::do_write() {
  auto on_written = [self = shared_from_this()](error_code error, std::size_t) {
    self->on_write(error);
  };
  if (tls_) {
    http::async_write(*tls_, request_, std::move(on_written));
  } else {
    http::async_write(*plain_, request_, std::move(on_written));
  }
}

void http_client::on_write(error_code error) {
  if (!error && (timed_out_ || closed_)) error = asio::error::operation_aborted;
  if (error) return fail_attempt(error, step::write);
  parser_.emplace();
  parser_->body_limit(max_answer_body_bytes);
  auto on_answer = [self = shared_from_this()](error_code error, std::size_t) {
    self->on_read(error);
  };
  if (tls_) {
    http::async_read(*tls_, buffer_, *parser_, std::move(on_answer));
  } else {
    http::async_read(*plain_, buffer_, *parser_, std::move(on_answer));
  }
}

void http_client::on_read(error_code error) {
  if (!error && (timed_out_ || closed_)) error = asio::error::operation_aborted;
  if (error) return fail_attempt(error, step::read);
  auto& answer = parser_->get();
  const int status = static_cast<int>(answer.result_int());
  if (!answer.keep_alive()) close_connection();
  last_answer_body_ = std::move(answer.body());
  finish(status >= 200 && status < 300, status);
}

void http_client::fail_attempt(error_code error, step failed_step) {
  const bool answer_started = failed_step == step::read && parser_ && parser_->got_some();
  close_connection();
  if (closed_) {
    last_error_ = "the client is closed";
    return finish(false, 0);
  }
  if (timed_out_) {
    last_error_ = fmt::format("no answer within {} ms", options_.timeout.count());
    return finish(false, 0);
  }
  if (reused_ && !retried_ && !answer_started) {
    // The server closed the kept-alive connection while it was idle (its keep-alive timeout),
    // so it never saw this request: send it again on a new connection. Were the server to have
    // seen it and died before answering, the retry would count it twice; without it, the
    // caller would send the same count again anyway, since no 2xx came.
    spdlog::debug("http client: {} closed the kept-alive connection ({}), reconnecting", display_url_,
                  error.message());
    retried_ = true;
    return start_attempt();
  }
  static constexpr const char* step_names[] = {"resolving", "connecting", "TLS handshake",
                                               "sending", "reading the answer"};
  last_error_ = fmt::format("{}: {}", step_names[static_cast<int>(failed_step)], error.message());
  finish(false, 0);
}

void http_client::finish(bool ok, int status) {
  ++attempt_;  // a deadline handler already queued must not touch the next request
  deadline_.cancel();
  completion done = std::move(queue_.front().done);
  queue_.pop_front();
  // busy_ stays set: a post_json from inside `done` only queues, and do_next takes it up.
  done(ok, status);
  do_next();
}

void http_client::close_connection() {
  connected_ = false;
  beast::tcp_stream* stream = tcp_layer();
  if (stream == nullptr) return;
  error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream->close();
}

beast::tcp_stream* http_client::tcp_layer() {
  if (tls_) return &tls_->next_layer();
  return plain_.get();
}

}  // namespace livechat::net
