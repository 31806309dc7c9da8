#pragma once
// A tenant's billing endpoint for tests: a real HTTP/1.1 server on 127.0.0.1, on a port the
// system picks, run by a thread of its own. It records every request and answers as told:
// a status (200 unless told otherwise), never (hang: it reads the request and waits for the
// client to give up), or not at all (down: the port refuses connections until it comes up).
// It can also close a kept-alive connection once it has been idle for a while, as servers do.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace livechat::billing::testing {

struct received_request {
  std::string method;
  std::string target;
  std::string content_type;
  std::string authorization;
  std::string body;
  unsigned answered_status = 0;  // 0: not answered (hang)
};

class billing_sink {
 public:
  billing_sink() {
    listen(0);  // before the thread starts: nothing runs concurrently yet
    thread_ = std::thread([this] { context_.run(); });
  }

  ~billing_sink() {
    run_on_sink([this] { close_everything(); });
    guard_.reset();
    context_.stop();
    thread_.join();
  }

  billing_sink(const billing_sink&) = delete;
  billing_sink& operator=(const billing_sink&) = delete;

  std::uint16_t port() const { return port_; }
  std::string base_url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  /// Answers every request from now on with `status`.
  void answer_with(unsigned status) {
    std::scoped_lock lock{mutex_};
    status_ = status;
    hang_ = false;
  }

  /// Reads requests and never answers them.
  void hang() {
    std::scoped_lock lock{mutex_};
    hang_ = true;
  }

  /// Closes a connection once it has waited this long for its next request (0: never).
  void close_idle_after(std::chrono::milliseconds idle) {
    std::scoped_lock lock{mutex_};
    idle_close_ = idle;
  }

  /// Closes the listening socket and every connection: connecting is refused until come_up().
  void go_down() {
    run_on_sink([this] { close_everything(); });
  }

  /// Listens again, on the same port.
  void come_up() {
    run_on_sink([this] { listen(port_); });
  }

  std::vector<received_request> requests() const {
    std::scoped_lock lock{mutex_};
    return requests_;
  }

  std::size_t connections() const {
    std::scoped_lock lock{mutex_};
    return connections_;
  }

  /// The sum of `count` over the reports of `session_id` that were answered 2xx.
  std::uint64_t accepted_total(std::string_view session_id) const {
    std::scoped_lock lock{mutex_};
    return accepted_total_locked(session_id);
  }

  /// Waits until `predicate` (called under the sink's lock, with the requests so far) holds.
  bool wait_until(const std::function<bool(const std::vector<received_request>&)>& predicate,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, timeout, [&] { return predicate(requests_); });
  }

  /// Waits until the reports of `session_id` answered 2xx add up to `total`.
  bool wait_for_total(std::string_view session_id, std::uint64_t total,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, timeout,
                             [&] { return accepted_total_locked(session_id) == total; });
  }

  /// The `count` of a report body, or 0 when the body is not a report.
  static std::uint64_t count_of(const received_request& request, std::string_view session_id) {
    boost::system::error_code error;
    const auto json = boost::json::parse(request.body, error);
    if (error || !json.is_object()) return 0;
    const auto* id = json.as_object().if_contains("sessionId");
    const auto* count = json.as_object().if_contains("count");
    if (id == nullptr || !id->is_string() || id->as_string() != session_id || count == nullptr) {
      return 0;
    }
    return count->to_number<std::uint64_t>();
  }

 private:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;

  class session : public std::enable_shared_from_this<session> {
   public:
    session(billing_sink& sink, tcp::socket socket)
        : sink_(sink), socket_(std::move(socket)), idle_timer_(socket_.get_executor()) {}

    void do_read() {
      request_ = {};
      boost::beast::http::async_read(
          socket_, buffer_, request_,
          [self = shared_from_this()](error_code error, std::size_t) { self->on_read(error); });
    }

    void close() {
      error_code ignored;
      idle_timer_.cancel();
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
    }

   private:
    void on_read(error_code error) {
      idle_timer_.cancel();
      if (error) return close();
      const unsigned status = sink_.record(request_);
      if (status == 0) return do_read();  // hang: the client gives up and closes
      response_ = {};
      response_.result(status);
      response_.version(11);
      response_.keep_alive(request_.keep_alive());
      response_.set(boost::beast::http::field::content_type, "application/json");
      response_.body() = "{}";
      response_.prepare_payload();
      boost::beast::http::async_write(
          socket_, response_,
          [self = shared_from_this()](error_code error, std::size_t) { self->on_write(error); });
    }

    void on_write(error_code error) {
      if (error || !response_.keep_alive()) return close();
      if (const auto idle = sink_.idle_close(); idle.count() > 0) {
        idle_timer_.expires_after(idle);
        idle_timer_.async_wait([self = shared_from_this()](error_code error) {
          if (!error) self->close();
        });
      }
      do_read();
    }

    billing_sink& sink_;
    tcp::socket socket_;
    boost::asio::steady_timer idle_timer_;
    boost::beast::flat_buffer buffer_;
    boost::beast::http::request<boost::beast::http::string_body> request_;
    boost::beast::http::response<boost::beast::http::string_body> response_;
  };

  void listen(std::uint16_t port) {
    const tcp::endpoint endpoint{boost::asio::ip::make_address("127.0.0.1"), port};
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    if (port == 0) port_ = acceptor_.local_endpoint().port();
    do_accept();
  }

  void do_accept() {
    acceptor_.async_accept([this](error_code error, tcp::socket socket) {
      if (error) return;  // closed by go_down() or the destructor
      {
        std::scoped_lock lock{mutex_};
        ++connections_;
      }
      auto connection = std::make_shared<session>(*this, std::move(socket));
      sessions_.push_back(connection);
      connection->do_read();
      do_accept();
    });
  }

  void close_everything() {
    error_code ignored;
    acceptor_.close(ignored);
    for (const auto& weak : sessions_) {
      if (auto connection = weak.lock()) connection->close();
    }
    sessions_.clear();
  }

  // Runs `task` on the sink's thread and waits for it.
  void run_on_sink(const std::function<void()>& task) {
    std::promise<void> done;
    boost::asio::post(context_, [&] {
      task();
      done.set_value();
    });
    done.get_future().wait();
  }

  // Keeps a request; returns the status to answer it with, 0 for none.
  unsigned record(const boost::beast::http::request<boost::beast::http::string_body>& request) {
    namespace http = boost::beast::http;
    std::scoped_lock lock{mutex_};
    received_request& kept = requests_.emplace_back();
    kept.method = request.method_string();
    kept.target = request.target();
    kept.content_type = request[http::field::content_type];
    kept.authorization = request[http::field::authorization];
    kept.body = request.body();
    kept.answered_status = hang_ ? 0 : status_;
    changed_.notify_all();
    return kept.answered_status;
  }

  std::chrono::milliseconds idle_close() const {
    std::scoped_lock lock{mutex_};
    return idle_close_;
  }

  std::uint64_t accepted_total_locked(std::string_view session_id) const {
    std::uint64_t total = 0;
    for (const auto& request : requests_) {
      if (request.answered_status >= 200 && request.answered_status < 300) {
        total += count_of(request, session_id);
      }
    }
    return total;
  }

  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      context_.get_executor()};
  tcp::acceptor acceptor_{context_};
  std::vector<std::weak_ptr<session>> sessions_;  // on the sink's thread only
  std::uint16_t port_ = 0;                        // set before the thread starts

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<received_request> requests_;
  std::size_t connections_ = 0;
  unsigned status_ = 200;
  bool hang_ = false;
  std::chrono::milliseconds idle_close_{0};

  std::thread thread_;
};

}  // namespace livechat::billing::testing
