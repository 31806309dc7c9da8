#include "redis/scripts.hpp"

#include <string_view>

// Defined in the file CMake generates from src/redis/scripts/*.lua.
namespace livechat::redis::script_sources {
extern const std::string_view publish;
extern const std::string_view control;
extern const std::string_view saver_commit;
extern const std::string_view billing_claim;
}  // namespace livechat::redis::script_sources

namespace livechat::redis::scripts {

const script& publish() {
  static const script instance("publish", script_sources::publish);
  return instance;
}

const script& control() {
  static const script instance("control", script_sources::control);
  return instance;
}

const script& saver_commit() {
  static const script instance("saver_commit", script_sources::saver_commit);
  return instance;
}

const script& billing_claim() {
  static const script instance("billing_claim", script_sources::billing_claim);
  return instance;
}

}  // namespace livechat::redis::scripts
