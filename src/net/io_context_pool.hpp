#pragma once
// The I/O threads: one io_context per thread, so that a connection lives on one thread for
// its whole life and needs no locks or strands.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace livechat::net {

class io_context_pool {
 public:
  explicit io_context_pool(std::size_t threads);
  io_context_pool(const io_context_pool&) = delete;
  io_context_pool& operator=(const io_context_pool&) = delete;
  ~io_context_pool();

  /// The contexts in turn, to spread new connections over the threads.
  boost::asio::io_context& next_context();

  boost::asio::io_context& context(std::size_t index) { return *contexts_.at(index); }
  std::size_t size() const { return contexts_.size(); }

  /// The index of the pool thread calling this; only valid on the pool's threads.
  static std::size_t current_thread_index();

  /// Starts one thread per context; returns at once.
  void start();

  /// Stops every context (pending handlers are abandoned) and joins the threads.
  void stop();

 private:
  using work_guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<work_guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace livechat::net
