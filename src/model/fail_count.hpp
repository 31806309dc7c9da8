#pragma once
// Failure injection in the style of Boost.Beast's fail_count: counts the calls of one kind
// (store calls, broker calls, socket writes) and says which one must fail, so that a test can
// walk every error path of an operation by failing its 1st, 2nd, … call in turn. Tests arm it;
// a seam asks it once per call. Any thread.

#include <atomic>

namespace livechat::model {

class fail_count {
 public:
  /// Makes the n-th call from now (1 = the next) fail, and only that one; 0 = none.
  void fail_call(long n) { fail_at_ = n == 0 ? 0 : calls_.load() + n; }

  /// The calls counted so far, failed ones included.
  long calls() const { return calls_.load(); }

  /// Counts one call: true when it is the one that must fail.
  [[nodiscard]] bool count() { return ++calls_ == fail_at_.load(); }

 private:
  std::atomic<long> calls_{0};
  std::atomic<long> fail_at_{0};
};

}  // namespace livechat::model
