#pragma once
// The completion handler of an operation that waits for as long as a connection lives (a
// WebSocket's wait for its next bytes, an SSE stream's watch for the client going away).

#include <boost/asio/bind_allocator.hpp>

#include <cstddef>
#include <new>
#include <utility>

namespace livechat::net {

/// Allocates exactly what is asked, from the heap. (Asio treats std::allocator as "no
/// preference" and recycles anyway; a type of our own is what makes it allocate.)
template <typename T>
struct exact_size_allocator {
  using value_type = T;

  exact_size_allocator() noexcept = default;
  template <typename U>
  exact_size_allocator(const exact_size_allocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(std::size_t count) { return static_cast<T*>(::operator new(count * sizeof(T))); }
  void deallocate(T* pointer, std::size_t) noexcept { ::operator delete(pointer); }

  friend bool operator==(const exact_size_allocator&, const exact_size_allocator&) { return true; }
};

/// `handler`, with its operation's memory allocated at the operation's own size. By default
/// Asio recycles the blocks of completed operations per thread and hands out any block big
/// enough, often an HTTP read's of several times the size; an idle connection then holds that
/// for its whole life (heaptrack: ~600 B for an SSE stream's ~160-byte watch).
template <typename Handler>
auto long_lived(Handler&& handler) {
  return boost::asio::bind_allocator(exact_size_allocator<void>(), std::forward<Handler>(handler));
}

}  // namespace livechat::net
