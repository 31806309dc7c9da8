#pragma once
// What cluster mode adds to a node's GET /metrics (SPEC 8, docs/cluster.md "Metrics").

#include "api/routes.hpp"
#include "broker/redis_broker.hpp"
#include "saver/background_saver.hpp"

namespace livechat::app {

/// The node's Redis connections (`livechat_redis_reconnects_total`, `livechat_redis_connected`:
/// the broker's command and subscriber connections, and `saver`'s when one runs in-process),
/// the broker's command latency, the saver lag read from Redis at each scrape through the
/// broker's command connection, and the in-process saver's counters when `saver` is set.
/// `broker` and `saver` must outlive the scrapes.
api::metrics_appender cluster_metrics(broker::redis_broker& broker,
                                      const saver::background_saver* saver);

}  // namespace livechat::app
