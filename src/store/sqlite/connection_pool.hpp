#pragma once
// A fixed set of connections to one database file, lent to one thread at a time. Each keeps
// its prepared statements, so threads share the preparing work as well as the file.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/connection.hpp"

namespace livechat::store::sqlite {

class connection_pool {
 public:
  /// A borrowed connection, given back when the lease ends.
  class lease {
   public:
    lease(connection_pool& pool, connection& borrowed) noexcept
        : pool_(&pool), connection_(&borrowed) {}
    ~lease() { pool_->give_back(*connection_); }

    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;

    connection& operator*() const noexcept { return *connection_; }
    connection* operator->() const noexcept { return connection_; }

   private:
    connection_pool* pool_;
    connection* connection_;
  };

  /// Opens `size` connections (at least one) to `path`. Throws store_error when any fails.
  connection_pool(const std::string& path, std::size_t size);

  /// Waits for a free connection. Throws store_error when none comes free within `wait`: a
  /// caller is better served by an error than by hanging on a stuck database.
  lease acquire(std::chrono::milliseconds wait = std::chrono::seconds{10});

 private:
  void give_back(connection& returned) noexcept;

  std::vector<std::unique_ptr<connection>> connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<connection*> idle_;  // guarded by mutex_
};

}  // namespace livechat::store::sqlite
