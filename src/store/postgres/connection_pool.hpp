#pragma once
// A bounded set of connections to one PostgreSQL database, lent to one thread at a time.
// Connections open on demand, up to `size`; one found broken when given back is closed, and so
// are the idle ones (they most likely lost the same server), so that the next call connects
// afresh: after a server restart one call fails and the ones after it work again.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/postgres/connection.hpp"

namespace livechat::store::postgres {

class connection_pool {
 public:
  /// A borrowed connection, given back when the lease ends.
  class lease {
   public:
    lease(connection_pool& pool, std::unique_ptr<connection> borrowed) noexcept
        : pool_(&pool), connection_(std::move(borrowed)) {}
    ~lease() { pool_->give_back(std::move(connection_)); }

    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;

    connection& operator*() const noexcept { return *connection_; }
    connection* operator->() const noexcept { return connection_.get(); }

   private:
    connection_pool* pool_;
    std::unique_ptr<connection> connection_;
  };

  /// A pool of at most `size` connections (at least one) to `url`. Connects to nothing yet.
  connection_pool(std::string url, std::size_t size);

  /// Lends an idle connection, or opens one while fewer than `size` are open, or waits for one
  /// to come back. Throws store_error when none comes free within `wait` (an error serves a
  /// caller better than hanging on a stuck database) or when connecting fails.
  lease acquire(std::chrono::milliseconds wait = std::chrono::seconds{10});

 private:
  void give_back(std::unique_ptr<connection> returned) noexcept;

  const std::string url_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<connection>> idle_;  // guarded by mutex_
  std::size_t lent_ = 0;                           // guarded by mutex_
};

}  // namespace livechat::store::postgres
