#pragma once
// The Lua scripts of cluster mode, embedded at build time from src/redis/scripts/*.lua (each
// file opens with its KEYS, ARGV, reply and atomic promise; docs/redis.md sums them up).

#include "redis/script.hpp"

namespace livechat::redis::scripts {

/// Assigns a room's next ids, keeps the messages (history, hand-off) and publishes them.
const script& publish();

/// Records closed / ended / left / joined and publishes the event in order with messages.
const script& control();

/// Advances rooms' committed watermarks and acknowledges hand-off entries (the saver).
const script& saver_commit();

/// Counts a node's deliveries of one session for billing, each message once in the cluster.
const script& billing_claim();

}  // namespace livechat::redis::scripts
