#pragma once
// Picks and opens the database the settings name: SQLite in DATA_DIR by default, or the
// DATABASE_URL.

#include <memory>

#include "app/settings.hpp"
#include "store/store.hpp"

namespace livechat::app {

/// Opens (creating and migrating when needed) the configured store. Throws store::store_error
/// when it cannot, or names a database this build cannot use.
std::unique_ptr<store::store> open_store(const settings& config);

}  // namespace livechat::app
