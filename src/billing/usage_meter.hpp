#pragma once
// Usage of live-stream sessions not yet reported to the tenant's billing endpoint (SPEC.md
// section 7): per session, the number of messages this node delivered to at least one listener.
//
// Promises:
// * Nothing is lost: a count is pending until taken, in flight until settled, and a failed
//   settle puts it back into pending, summed with what was recorded meanwhile.
// * Nothing is counted twice: a taken count is no longer pending, so a second take cannot
//   return it again; an accepted settle forgets it for good.
// * Thread-safe: every call may come from any thread. `record` takes one mutex and touches one
//   hash map entry, so the fan-out may call it once per session batch on every tick.
//
// The gauge `billing_pending_count` follows what the meter holds, pending plus in flight.

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace livechat::billing {

/// A count of delivered messages of one session, as reported in one POST.
struct usage {
  std::string session_id;
  std::uint64_t count = 0;

  bool operator==(const usage&) const = default;
};

class usage_meter {
 public:
  usage_meter() = default;
  usage_meter(const usage_meter&) = delete;
  usage_meter& operator=(const usage_meter&) = delete;
  /// Whatever is still held leaves the gauge: in a running server that happens only at exit.
  ~usage_meter();

  /// Adds `delivered` messages of `session_id` that went to at least one listener.
  void record(std::string_view session_id, std::uint64_t delivered);

  /// Moves every pending count into the in-flight state and returns them, one per session (in
  /// no particular order). Each must be given back to `settle` exactly once.
  std::vector<usage> take_pending();

  /// Ends the flight of a count returned by `take_pending`. accepted: the tenant took it, it is
  /// forgotten. Not accepted: it becomes pending again, so the next report carries it.
  void settle(const usage& report, bool accepted);

  /// Pending plus in-flight messages over all sessions.
  std::uint64_t unreported() const;

  /// Pending messages of one session (in-flight ones excluded); 0 when none.
  std::uint64_t pending_for(std::string_view session_id) const;

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  using count_map = std::unordered_map<std::string, std::uint64_t, string_hash, std::equal_to<>>;

  static void add_to(count_map& counts, std::string_view session_id, std::uint64_t count);

  mutable std::mutex mutex_;
  count_map pending_;
  count_map in_flight_;
  std::uint64_t unreported_ = 0;  // sum of both maps
};

}  // namespace livechat::billing
