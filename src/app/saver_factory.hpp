#pragma once
// The saver's settings, for `livechat saver` and for the saver `serve --with-saver` runs
// inside a node.

#include <memory>

#include "app/settings.hpp"
#include "saver/background_saver.hpp"
#include "saver/saver.hpp"

namespace livechat::app {

/// The saver's options: HISTORY_SIZE, and a consumer name made of this host and PORT, stable
/// across restarts of one saver (it then reads back at once what it had read and not
/// acknowledged) and distinct between savers (on one host they need distinct ports anyway).
saver::saver_options saver_options_of(const settings& config);

/// `serve --with-saver`'s saver, saving from now on with connections of its own to Redis and
/// the database; null without --with-saver. Throws when the database cannot be opened.
std::unique_ptr<saver::background_saver> open_background_saver(const settings& config);

}  // namespace livechat::app
