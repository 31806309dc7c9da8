#include "allocation_counter.hpp"

#include <cstdlib>
#include <new>

namespace livechat::bench {

namespace {
// Per thread, so counting costs no locked instruction and other threads do not interfere.
thread_local std::uint64_t allocations = 0;
}  // namespace

std::uint64_t allocations_on_this_thread() { return allocations; }

}  // namespace livechat::bench

// The replaceable global allocation functions. The array and nothrow forms call these by
// default; the aligned forms keep the library's own allocation and are not counted.
void* operator new(std::size_t size) {
  ++livechat::bench::allocations;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}

void operator delete(void* memory) noexcept { std::free(memory); }

void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
