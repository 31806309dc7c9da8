#include "store/postgres/connection_pool.hpp"

#include <algorithm>

#include "store/store.hpp"

namespace livechat::store::postgres {

connection_pool::connection_pool(std::string url, std::size_t size)
    : url_(std::move(url)), size_(std::max<std::size_t>(size, 1)) {
  idle_.reserve(size_);
}

connection_pool::lease connection_pool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock{mutex_};
  const bool available = returned_.wait_for(
      lock, wait, [this] { return !idle_.empty() || idle_.size() + lent_ < size_; });
  if (!available) throw store_error("postgres: no database connection came free in time");
  ++lent_;
  if (!idle_.empty()) {
    std::unique_ptr<connection> borrowed = std::move(idle_.back());
    idle_.pop_back();
    return lease{*this, std::move(borrowed)};
  }
  // Connecting takes a round trip or several: not under the lock.
  lock.unlock();
  try {
    return lease{*this, std::make_unique<connection>(url_)};
  } catch (...) {
    lock.lock();
    --lent_;
    lock.unlock();
    returned_.notify_one();
    throw;
  }
}

void connection_pool::give_back(std::unique_ptr<connection> returned) noexcept {
  // Connections are closed outside the lock: closing says goodbye to the server.
  std::vector<std::unique_ptr<connection>> closing;
  {
    std::scoped_lock lock{mutex_};
    --lent_;
    if (returned->reusable()) {
      idle_.push_back(std::move(returned));
    } else {
      closing.push_back(std::move(returned));
      for (auto& idle : idle_) closing.push_back(std::move(idle));
      idle_.clear();
    }
  }
  returned_.notify_all();
}

}  // namespace livechat::store::postgres
