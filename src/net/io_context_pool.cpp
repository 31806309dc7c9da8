#include "net/io_context_pool.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace livechat::net {

namespace {
thread_local std::size_t this_thread_index = 0;
}

std::size_t io_context_pool::current_thread_index() { return this_thread_index; }

io_context_pool::io_context_pool(std::size_t threads) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    // Concurrency hint 1: each context is run by exactly one thread, so Asio can skip locking.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

io_context_pool::~io_context_pool() { stop(); }

boost::asio::io_context& io_context_pool::next_context() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void io_context_pool::start() {
  for (std::size_t index = 0; index < contexts_.size(); ++index) {
    threads_.emplace_back([&context = contexts_[index], index] {
      this_thread_index = index;
      // Handlers catch their own exceptions; one escaping here is a bug, but the thread must
      // keep serving its other connections.
      for (;;) {
        try {
          context->run();
          return;
        } catch (const std::exception& error) {
          spdlog::error("unhandled exception on an I/O thread: {}", error.what());
        }
      }
    });
  }
}

void io_context_pool::stop() {
  guards_.clear();
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace livechat::net
