#pragma once
// The saver lag (SPEC 8): hand-off entries not yet committed to the database, which is the
// total length of the shards' hand-off streams (the saver XDELs what it committed). Read from
// Redis at each scrape, by the standalone saver and by every node.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "redis/command_client.hpp"

namespace livechat::redis {

/// Sums XLEN over the shards' hand-off streams on `client` (posted to its executor, so any
/// thread may call this); `done(lag)` runs once, on that executor, with nullopt when any XLEN
/// failed (Redis away).
void read_handoff_lag(const std::shared_ptr<command_client>& client,
                      std::function<void(std::optional<std::uint64_t>)> done);

}  // namespace livechat::redis
