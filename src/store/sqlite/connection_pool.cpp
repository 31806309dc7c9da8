#include "store/sqlite/connection_pool.hpp"

#include <algorithm>

#include "store/store.hpp"

namespace livechat::store::sqlite {

connection_pool::connection_pool(const std::string& path, std::size_t size) {
  size = std::max<std::size_t>(size, 1);
  connections_.reserve(size);
  idle_.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    connections_.push_back(std::make_unique<connection>(path));
    idle_.push_back(connections_.back().get());
  }
}

connection_pool::lease connection_pool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock{mutex_};
  if (!returned_.wait_for(lock, wait, [this] { return !idle_.empty(); })) {
    throw store_error("sqlite: no database connection came free in time");
  }
  connection* borrowed = idle_.back();
  idle_.pop_back();
  return lease{*this, *borrowed};
}

void connection_pool::give_back(connection& returned) noexcept {
  {
    std::scoped_lock lock{mutex_};
    idle_.push_back(&returned);
  }
  returned_.notify_one();
}

}  // namespace livechat::store::sqlite
