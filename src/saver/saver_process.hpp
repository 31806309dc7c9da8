#pragma once
// `livechat saver`: one saver, and its /healthz, /readyz and /metrics on its own port, until
// SIGTERM or SIGINT.

#include <cstdint>
#include <string>

#include "redis/redis_config.hpp"
#include "saver/saver.hpp"
#include "store/store.hpp"

namespace livechat::saver {

struct saver_process_options {
  std::string host = "0.0.0.0";  // an IP address literal
  std::uint16_t port = 9090;
  redis::redis_config redis;
  saver_options saver;
};

/// Saves from Redis into `database` and serves the health and metrics endpoints until SIGTERM
/// or SIGINT; then finishes the batch under way and returns 0. Throws when the port cannot be
/// bound.
int run_saver_process(const saver_process_options& options, store::store& database);

}  // namespace livechat::saver
